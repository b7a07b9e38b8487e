#!/usr/bin/env python3
"""qmp.py SOCKET COMMAND [JSON_ARGUMENTS]: one QMP command to a running QEMU
(tests/vm); prints the "return" value as JSON, or the error and exits 1."""
import json
import socket
import sys


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(30)
    sock.connect(sys.argv[1])
    f = sock.makefile("rw")

    def call(cmd, args=None):
        msg = {"execute": cmd}
        if args:
            msg["arguments"] = args
        f.write(json.dumps(msg) + "\n")
        f.flush()
        while True:   # events may come before the answer
            reply = json.loads(f.readline())
            if "return" in reply or "error" in reply:
                return reply

    json.loads(f.readline())   # the greeting
    call("qmp_capabilities")
    args = json.loads(sys.argv[3]) if len(sys.argv) > 3 else None
    reply = call(sys.argv[2], args)
    if "error" in reply:
        print(f"qmp {sys.argv[2]}: {reply['error'].get('desc')}", file=sys.stderr)
        return 1
    print(json.dumps(reply["return"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
