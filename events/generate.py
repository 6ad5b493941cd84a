#!/usr/bin/env python3
"""Writes the sample API Gateway (REST, payload 1.0) events in this folder.

Tokens are HS256-signed with the sample secret in env.json (for `sam local invoke` and the
wiring test only; never a deployed secret) and valid until 2100. Run: python3 events/generate.py
"""
import base64, hashlib, hmac, json, pathlib, uuid

HERE = pathlib.Path(__file__).parent
SECRET = json.loads((HERE / "env.json").read_text())["Parameters"]["STAGEPASS_JWT_SECRET"]
EVENT_ID = "5a3e0000-0000-4000-8000-000000000001"
FAN, ORGANISER, HOLD_KEY = "sample-fan", "sample-organiser", "sample-hold-1"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(sub: str, role: str) -> str:
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "roles": [role], "iss": "stagepass", "aud": "stagepass-api",
              "iat": 1767225600, "nbf": 1767225600, "exp": 4102444800}
    payload = b64(json.dumps(claims).encode())
    sig = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(sig)}"


def hold_id(holder: str, key: str) -> str:
    """Same derivation as HoldId::for_idempotency_key (a v4-shaped UUID from SHA-256)."""
    b = bytearray(hashlib.sha256(f"hold\0{holder}\0{key}".encode()).digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    return str(uuid.UUID(bytes=bytes(b)))


LAYOUT = {"sections": [{"id": "A", "name": "Stalls", "tier": "std",
                        "rows": [{"label": "1", "seats": 12}, {"label": "2", "seats": 12, "tier": "vip"}]}],
          "ga_areas": [{"id": "floor", "name": "Standing", "tier": "std", "capacity": 200}]}
TIERS = [{"id": "std", "name": "Standard", "price": 4500}, {"id": "vip", "name": "VIP", "price": 9000}]


def event(resource, path, method, *, params=None, query=None, body=None, sub=None, role=None, headers=None):
    h = {"content-type": "application/json", "host": "api.stagepass.example"}
    if sub:
        h["authorization"] = f"Bearer {token(sub, role)}"
    h.update(headers or {})
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": h, "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params, "stageVariables": None,
        "requestContext": {"accountId": "123456789012", "apiId": "sample", "stage": "live", "resourcePath": resource,
                           "httpMethod": method, "path": f"/live{path}", "protocol": "HTTP/1.1",
                           "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "requestTimeEpoch": 1767225600000,
                           "identity": {"sourceIp": "198.51.100.7"}},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


samples = {
    "create-event": event("/events", "/events", "POST", sub=ORGANISER, role="organiser", body={
        "title": "Sample Night", "description": "A sample concert", "category": "concert",
        "venue": {"name": "Sample Hall", "city": "Sampleton"}, "starts_at": "2099-06-01T19:30:00Z",
        "currency": "GBP", "price_tiers": TIERS, "layout": LAYOUT}),
    "update-event": event("/events/{eventId}", f"/events/{EVENT_ID}", "PATCH", params={"eventId": EVENT_ID},
                          sub=ORGANISER, role="organiser", body={"description": "Doors open at 19:00"}),
    "publish-event": event("/events/{eventId}/publish", f"/events/{EVENT_ID}/publish", "POST",
                           params={"eventId": EVENT_ID}, sub=ORGANISER, role="organiser"),
    "search-events": event("/events", "/events", "GET", query={"city": "Sampleton", "category": "concert", "limit": "10"}),
    "get-event": event("/events/{eventId}", f"/events/{EVENT_ID}", "GET", params={"eventId": EVENT_ID}),
    "hold-seats": event("/events/{eventId}/holds", f"/events/{EVENT_ID}/holds", "POST", params={"eventId": EVENT_ID},
                        sub=FAN, role="fan", headers={"idempotency-key": HOLD_KEY},
                        body={"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 2}]}),
    "release-hold": event("/holds/{holdId}", f"/holds/{hold_id(FAN, HOLD_KEY)}", "DELETE",
                          params={"holdId": hold_id(FAN, HOLD_KEY)}, sub=FAN, role="fan"),
}
for name, sample in samples.items():
    (HERE / f"{name}.json").write_text(json.dumps(sample, indent=2) + "\n")

# The draft the update/publish/get/hold samples act on (seeded by the wiring test).
(HERE / "sample-draft.json").write_text(json.dumps({
    "id": EVENT_ID, "organiser": ORGANISER, "status": "draft", "title": "Sample Draft", "description": "",
    "category": "concert", "venue": {"name": "Sample Hall", "city": "Sampleton"},
    "starts_at": "2099-06-01T19:30:00Z", "currency": "GBP", "price_tiers": TIERS, "layout": LAYOUT,
    "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}, indent=2) + "\n")
