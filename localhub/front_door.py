"""The local API Gateway: the routes the template declares, served on localhost.

Each request becomes an API Gateway REST proxy event for the route's function, as API Gateway would
build it. Routes with IAM authorization are served without SigV4 checks locally (there are no IAM
principals here); everything else — status codes, bodies, headers — is the function's own answer.
"""

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

API_GATEWAY_MAX_BYTES = 10 * 1024 * 1024
LOCAL_OPERATOR = "arn:aws:iam::000000000000:user/local-operator"

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class LocalRoute:
    method: str
    resource: str  # "/orders/{order_key}"
    function_name: str
    authorization: str = "NONE"  # "AWS_IAM" for the hub's operator routes

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.resource)) + "$"
        found = re.match(pattern, path)
        return found.groupdict() if found else None


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    return status, {"Content-Type": "application/json"}, body


class FrontDoor:
    def __init__(self, routes: list[LocalRoute], invoke: Invoke) -> None:
        self.routes = routes
        self._invoke = invoke
        self._server: ThreadingHTTPServer | None = None

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        if len(body) > API_GATEWAY_MAX_BYTES:
            return _error(413, "PAYLOAD_TOO_LARGE", "request body exceeds API Gateway's 10 MB limit")
        for route in self.routes:
            params = route.match(method, parts.path)
            if params is not None:
                return self._call(route, params, method, parts.path, dict(parse_qsl(parts.query)), headers, body)
        if parts.path.startswith("/webhooks/"):
            channel = parts.path.split("/")[2]
            return _error(404, "UNKNOWN_CHANNEL", f"no connector is registered for channel '{channel}'")
        return _error(404, "UNKNOWN_ROUTE", f"no route for {method} {parts.path}")

    def _call(
        self,
        route: LocalRoute,
        params: dict[str, str],
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[int, dict[str, str], bytes]:
        try:
            text, encoded = body.decode("utf-8"), False
        except UnicodeDecodeError:
            text, encoded = base64.b64encode(body).decode(), True
        event = {
            "resource": route.resource,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
            "pathParameters": params or None,
            "stageVariables": None,
            "body": text if body else None,
            "isBase64Encoded": encoded,
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "resourcePath": route.resource,
                "httpMethod": method,
                "path": f"/prod{path}",
                "stage": "prod",
                "identity": self._identity(route, headers),
            },
        }
        try:
            result = self._invoke(route.function_name, event)
        except Exception as exc:  # API Gateway answers 502 when the integration fails
            return _error(502, "INTEGRATION_FAILED", f"{type(exc).__name__}: {exc}")
        response_body = result.get("body") or ""
        raw = base64.b64decode(response_body) if result.get("isBase64Encoded") else response_body.encode("utf-8")
        out_headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
        return int(result.get("statusCode", 200)), out_headers, raw

    @staticmethod
    def _identity(route: LocalRoute, headers: dict[str, str]) -> dict[str, str | None]:
        """API Gateway's IAM authorization puts the signer's ARN here. The local hub verifies no SigV4 (see the
        README's limits): an IAM route is called as the principal named in `X-OmniHub-Principal`, else as the
        local operator."""
        if route.authorization != "AWS_IAM":
            return {"sourceIp": "127.0.0.1", "userArn": None, "caller": None}
        named = {k.lower(): v for k, v in headers.items()}.get("x-omnihub-principal")
        arn = named or LOCAL_OPERATOR
        return {"sourceIp": "127.0.0.1", "userArn": arn, "caller": arn}

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        door = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # The headers and the body leave in two writes; with Nagle's algorithm on, a keep-alive client's
            # delayed ACK holds every body back ~40 ms (it was a third of the demo's wall time, all idle).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = dict(self.headers.items())
                status, out_headers, payload = door.handle(self.command, self.path, headers, body)
                self.send_response(status)
                for key, value in out_headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="front-door", daemon=True).start()
        address = self._server.server_address
        return f"http://{address[0]!s}:{address[1]}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
