"""Operator commands: createuser, token."""

from __future__ import annotations

import sys

from fupin.cli import UserError, argument, command


@command("createuser", help="创建用户 (create a user with a role and a region scope)")
@argument("--username", required=True)
@argument("--role", required=True, choices=["village", "town", "county", "analyst", "steward", "admin"])
@argument("--region", required=True, help="管辖区划代码 (division code; its subtree is the scope)")
@argument("--password-stdin", action="store_true", help="read the password from standard input")
@argument("--db")
def createuser_command(args) -> int:
    from fupin.site.bootstrap import setup

    setup(args.db)
    from fupin.accounts.services import AccountError, create_user

    if not args.password_stdin:
        raise UserError("请用 --password-stdin 从标准输入提供密码 (give the password on standard input)")
    password = sys.stdin.readline().rstrip("\n")
    try:
        user = create_user(args.username, args.role, args.region, password)
    except AccountError as exc:
        raise UserError(str(exc)) from None
    print(f"已创建用户 (created) {user.username}：角色 {user.role}，范围 {user.region or '全国'}")
    return 0


@command("token", help="为用户签发 API 令牌 (print a new API token for a user)")
@argument("username")
@argument("--db")
def token_command(args) -> int:
    from fupin.site.bootstrap import setup

    setup(args.db)
    from fupin.accounts.services import AccountError, issue_token

    try:
        print(issue_token(args.username))
    except AccountError as exc:
        raise UserError(str(exc)) from None
    return 0
