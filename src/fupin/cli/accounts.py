"""Operator commands: createuser, token."""

from __future__ import annotations

import sys

from fupin.accounts.services import (
    AccountError,
    create_user,
    issue_token,
    revoke_tokens,
    tokens_of,
)
from fupin.cli.commands import UserError


def createuser_command(args) -> int:
    if not args.password_stdin:
        raise UserError("请用 --password-stdin 从标准输入提供密码 (give the password on standard input)")
    password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(args.username, args.role, args.region, password)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    print(f"已创建用户 (created) {user.username}：角色 {user.get_role_display()}，范围 {user.region or '全国'}")
    return 0


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def token_command(args) -> int:
    if args.list and args.revoke:
        raise UserError("--list 与 --revoke 只能选一个 (give one of --list and --revoke)")
    try:
        if args.revoke:
            print(f"已吊销 (revoked) {revoke_tokens(args.username)} 个令牌 (tokens) of {args.username}")
        elif args.list:
            rows = tokens_of(args.username)
            print("编号 (id)  签发 (issued)        到期 (expires)       最近使用 (last used)   状态 (state)")
            for t in rows:
                state = "已吊销 revoked" if t.revoked_at else "有效 active"
                print(f"{t.pk:<9} {_when(t.created_at):<20} {_when(t.expires_at):<20} {_when(t.last_used_at):<22} {state}")
            if not rows:
                print("（无 none）")
        else:
            # The token itself is printed once, here; only its digest is stored.
            print(issue_token(args.username, days=args.days))
    except AccountError as exc:
        raise UserError(str(exc)) from None
    return 0
