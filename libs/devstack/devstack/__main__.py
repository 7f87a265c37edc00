"""`python -m devstack proto | run | bench`."""

import argparse


def main() -> None:
    parser = argparse.ArgumentParser(prog="devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("proto", help="generate Python code from protos/")
    commands.add_parser("postgres", help="print the URL of a PostgreSQL with PostGIS, starting one if needed")
    revision = commands.add_parser("revision", help="autogenerate a migration of one service")
    revision.add_argument("service")
    revision.add_argument("-m", "--message", required=True)
    args = parser.parse_args()
    if args.command == "proto":
        from devstack.protos import generate

        generate()
    elif args.command == "postgres":
        from devstack.postgres import find_server

        print(find_server())
    elif args.command == "revision":
        from devstack.revision import new_revision

        new_revision(args.service, args.message)


if __name__ == "__main__":
    main()
