"""Operator commands: createuser, token."""

from __future__ import annotations

import sys

from fupin.accounts.services import AccountError, create_user, issue_token
from fupin.cli.commands import UserError


def createuser_command(args) -> int:
    if not args.password_stdin:
        raise UserError("请用 --password-stdin 从标准输入提供密码 (give the password on standard input)")
    password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(args.username, args.role, args.region, password)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    print(f"已创建用户 (created) {user.username}：角色 {user.role}，范围 {user.region or '全国'}")
    return 0


def token_command(args) -> int:
    try:
        print(issue_token(args.username))
    except AccountError as exc:
        raise UserError(str(exc)) from None
    return 0
