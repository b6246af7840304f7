"""A real SMTP server for the tests of package smtpsender: aiosmtpd (Debian
python3-aiosmtpd) on 127.0.0.1, an ephemeral port, STARTTLS with the given
certificate and AUTH PLAIN/LOGIN with one user, both required.

It prints "READY <port>" once listening, then one JSON line per accepted
message: {"mail_from", "rcpt_tos", "data", "tls", "login"}. It exits when
its standard input closes.
"""

import argparse
import asyncio
import json
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    async def handle_DATA(self, server, session, envelope):
        print(json.dumps({
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "login": session.auth_data if session.authenticated else None,
        }), flush=True)
        return "250 OK"


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    a = p.parse_args()

    tls = None
    if a.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == a.user.encode()
              and auth_data.password == a.password.encode())
        return AuthResult(success=ok, handled=False, auth_data=a.user if ok else None)

    def factory():
        return SMTP(
            Handler(),
            hostname="smtp.test",
            tls_context=tls,
            require_starttls=tls is not None,
            authenticator=authenticator if a.user else None,
            auth_required=bool(a.user),
            auth_require_tls=True,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=0)
    print("READY", server.sockets[0].getsockname()[1], flush=True)
    # Run until the test closes our standard input.
    await loop.run_in_executor(None, sys.stdin.read)
    server.close()


asyncio.run(main())
