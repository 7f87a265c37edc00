"""`python -m gateway serve | routes | openapi`."""

import argparse
import json

import uvicorn

from gateway.app import create_app
from gateway.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="gateway")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve HTTP/JSON on GATEWAY_HOST:GATEWAY_PORT (default 0.0.0.0:8080)")
    commands.add_parser("routes", help="print the route table built from the descriptors")
    commands.add_parser("openapi", help="print the OpenAPI document")
    args = parser.parse_args()
    settings = Settings.from_env()
    app = create_app(settings)
    if args.command == "serve":
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    elif args.command == "routes":
        for route in app.state.routes.routes:
            print(f"{route.http_method:7} {route.template.text:55} {route.rpc.grpc_path}")
    else:
        print(json.dumps(app.state.openapi, indent=2))


if __name__ == "__main__":
    main()
