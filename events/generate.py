#!/usr/bin/env python3
"""Writes the sample API Gateway (REST, payload 1.0) events in this folder.

Protected routes carry what the authorizer passes on (`requestContext.authorizer`: principalId,
roles, email, session), exactly as API Gateway delivers them after the authorizer allowed the
token, so they need no key. `authorizer.json` is a TOKEN authorizer event whose token is signed
by a throwaway key: it is refused, as it should be (mint a real one by logging in on `make run`).
Run: python3 events/generate.py
"""
import base64, hashlib, json, pathlib, uuid

HERE = pathlib.Path(__file__).parent
EVENT_ID = "5a3e0000-0000-4000-8000-000000000001"
FAN, ORGANISER, ADMIN, HOLD_KEY = "sample-fan", "sample-organiser", "sample-admin", "sample-hold-1"
SAMPLE_EMAIL, SAMPLE_PASSWORD = "sample-fan@example.com", "sample-password-1"
# Events start at most 730 days ahead (ticket keys are kept that long): the samples' date must
# lie between today and then. Move it forward (and rerun) before it passes.


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def caller(sub: str, role: str, email: str = "", session: str = "") -> dict:
    # exp: the token's expiry (2100-01-01), which the functions that change money or seats check.
    # verified: the email is proven (a verified account); cancelling for a refund needs it.
    return {"principalId": sub, "roles": role, "email": email, "session": session, "exp": "4102444800",
            "verified": "true"}


# The namespace of Stagepass's derived ids (`ids::derived_id`: UUID v5).
NAMESPACE = uuid.UUID(int=0x9f3c1d6e7b2a4c58a1e05e7ac3b9d401)


def hold_id(holder: str, key: str) -> str:
    """Same derivation as HoldId::for_idempotency_key."""
    return str(uuid.uuid5(NAMESPACE, f"hold\0{holder}\0{key}"))


def booking_id(hold: str) -> str:
    """Same derivation as BookingId::for_hold."""
    return str(uuid.uuid5(NAMESPACE, f"booking\0{hold}"))


# The checkout samples act on a second hold (made by the wiring test, seat A-1-3).
CHECKOUT_HOLD_KEY = "sample-hold-2"
CHECKOUT_HOLD = hold_id(FAN, CHECKOUT_HOLD_KEY)
BOOKING_ID = booking_id(CHECKOUT_HOLD)

LAYOUT = {"sections": [{"id": "A", "name": "Stalls", "tier": "std",
                        "rows": [{"label": "1", "seats": 12}, {"label": "2", "seats": 12, "tier": "vip"}]}],
          "ga_areas": [{"id": "floor", "name": "Standing", "tier": "std", "capacity": 200}]}
TIERS = [{"id": "std", "name": "Standard", "price": 4500}, {"id": "vip", "name": "VIP", "price": 9000}]


def event(resource, path, method, *, params=None, query=None, body=None, who=None, headers=None):
    h = {"content-type": "application/json", "host": "api.stagepass.example"}
    h.update(headers or {})
    return {
        "resource": resource, "path": path, "httpMethod": method,
        "headers": h, "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": params, "stageVariables": None,
        "requestContext": {"accountId": "123456789012", "apiId": "sample", "stage": "live", "resourcePath": resource,
                           "httpMethod": method, "path": f"/live{path}", "protocol": "HTTP/1.1",
                           "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "requestTimeEpoch": 1767225600000,
                           "identity": {"sourceIp": "198.51.100.7"}, **({"authorizer": who} if who else {})},
        "body": json.dumps(body) if body is not None else None, "isBase64Encoded": False,
    }


# A link token in the right shape that no key signed.
UNSIGNED_LINK = "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vbmUifQ.eyJzdWIiOiJzYW1wbGUifQ.c2lnbmF0dXJl"

samples = {
    "create-event": event("/events", "/events", "POST", who=caller(ORGANISER, "organiser"), body={
        "title": "Sample Night", "description": "A sample concert", "category": "concert",
        "venue": {"name": "Sample Hall", "city": "Sampleton"}, "starts_at": "2028-06-01T19:30:00Z",
        "currency": "GBP", "price_tiers": TIERS, "layout": LAYOUT}),
    "update-event": event("/events/{eventId}", f"/events/{EVENT_ID}", "PATCH", params={"eventId": EVENT_ID},
                          who=caller(ORGANISER, "organiser"), body={"description": "Doors open at 19:00"}),
    "publish-event": event("/events/{eventId}/publish", f"/events/{EVENT_ID}/publish", "POST",
                           params={"eventId": EVENT_ID}, who=caller(ORGANISER, "organiser")),
    "search-events": event("/events", "/events", "GET", query={"city": "Sampleton", "category": "concert", "limit": "10"}),
    "get-event": event("/events/{eventId}", f"/events/{EVENT_ID}", "GET", params={"eventId": EVENT_ID}),
    "get-seat-map": event("/events/{eventId}/seat-map", f"/events/{EVENT_ID}/seat-map", "GET",
                          params={"eventId": EVENT_ID}),
    "hold-seats": event("/events/{eventId}/holds", f"/events/{EVENT_ID}/holds", "POST", params={"eventId": EVENT_ID},
                        who=caller(FAN, "fan"), headers={"idempotency-key": HOLD_KEY},
                        body={"seats": ["A-1-1", "A-1-2"], "ga": [{"area": "floor", "quantity": 2}]}),
    "configure-waiting-room": event("/events/{eventId}/waiting-room", f"/events/{EVENT_ID}/waiting-room", "PUT",
                                    params={"eventId": EVENT_ID}, who=caller(ORGANISER, "organiser"),
                                    body={"opens_at": "2031-06-01T10:00:00Z", "closes_at": "2031-06-01T12:00:00Z",
                                          "admit_per_minute": 600, "admission_minutes": 20}),
    "join-queue": event("/events/{eventId}/queue", f"/events/{EVENT_ID}/queue", "POST",
                        params={"eventId": EVENT_ID}, who=caller(FAN, "fan", SAMPLE_EMAIL)),
    "queue-position": event("/events/{eventId}/queue", f"/events/{EVENT_ID}/queue", "GET",
                            params={"eventId": EVENT_ID}, who=caller(FAN, "fan", SAMPLE_EMAIL)),
    "release-hold": event("/holds/{holdId}", f"/holds/{hold_id(FAN, HOLD_KEY)}", "DELETE",
                          params={"holdId": hold_id(FAN, HOLD_KEY)}, who=caller(FAN, "fan")),
    "register": event("/auth/register", "/auth/register", "POST",
                      body={"email": SAMPLE_EMAIL, "password": SAMPLE_PASSWORD}),
    "login": event("/auth/login", "/auth/login", "POST", body={"email": SAMPLE_EMAIL, "password": SAMPLE_PASSWORD}),
    "refresh": event("/auth/refresh", "/auth/refresh", "POST",
                     body={"refresh_token": "rt_sample-token-that-was-never-issued-so-it-is-refused"}),
    "logout": event("/auth/logout", "/auth/logout", "POST",
                    who=caller(FAN, "fan", SAMPLE_EMAIL, "5a3e0000-0000-4000-8000-0000000000f1")),
    "guest-token": event("/auth/guest", "/auth/guest", "POST", body={"email": "guest@example.com"}),
    # Emailed links: the samples carry a token no key signed (refused, 400 invalid_link); real
    # ones come from the emails (the journey follows them).
    "verify-email": event("/auth/verify-email", "/auth/verify-email", "POST", body={"token": UNSIGNED_LINK}),
    "resend-verification": event("/auth/verify-email/resend", "/auth/verify-email/resend", "POST",
                                 who=caller(FAN, "fan", SAMPLE_EMAIL)),
    "request-password-reset": event("/auth/password-reset", "/auth/password-reset", "POST",
                                    body={"email": SAMPLE_EMAIL}),
    "reset-password": event("/auth/password-reset/confirm", "/auth/password-reset/confirm", "POST",
                            body={"token": UNSIGNED_LINK, "password": "a new sample passphrase"}),
    "open-guest-link": event("/auth/guest-link", "/auth/guest-link", "POST", body={"token": UNSIGNED_LINK}),
    "revoke-guest-link": event("/auth/guest-link/revoke", "/auth/guest-link/revoke", "POST",
                               body={"token": UNSIGNED_LINK}),
    "jwks": event("/.well-known/jwks.json", "/.well-known/jwks.json", "GET"),
    "openapi": event("/openapi.json", "/openapi.json", "GET"),
    "create-account": event("/admin/accounts", "/admin/accounts", "POST", who=caller(ADMIN, "admin"),
                            body={"email": "door-1@example.com", "password": "door-password-1", "roles": ["door"]}),
    # Assigns the door account the create-account sample made; the removal names a door
    # account that is not on the event, so it changes nothing (a real id is in the answer).
    "assign-door-staff": event("/events/{eventId}/staff", f"/events/{EVENT_ID}/staff", "POST",
                               params={"eventId": EVENT_ID}, who=caller(ORGANISER, "organiser"),
                               body={"email": "door-1@example.com"}),
    "remove-door-staff": event("/events/{eventId}/staff/{userId}", f"/events/{EVENT_ID}/staff/sample-door", "DELETE",
                               params={"eventId": EVENT_ID, "userId": "sample-door"},
                               who=caller(ORGANISER, "organiser")),
    "checkout": event("/bookings", "/bookings", "POST", who=caller(FAN, "fan", SAMPLE_EMAIL),
                      headers={"idempotency-key": "sample-checkout-1"},
                      body={"hold_id": CHECKOUT_HOLD, "payment_method": "pm_card_visa"}),
    "get-booking": event("/bookings/{bookingId}", f"/bookings/{BOOKING_ID}", "GET",
                         params={"bookingId": BOOKING_ID}, who=caller(FAN, "fan", SAMPLE_EMAIL)),
    "my-bookings": event("/me/bookings", "/me/bookings", "GET", query={"limit": "10"},
                         who=caller(FAN, "fan", SAMPLE_EMAIL)),
    "cancel-booking": event("/bookings/{bookingId}/cancel", f"/bookings/{BOOKING_ID}/cancel", "POST",
                            params={"bookingId": BOOKING_ID}, who=caller(FAN, "fan", SAMPLE_EMAIL),
                            headers={"idempotency-key": "sample-cancel-1"}),
    "cancel-event": event("/events/{eventId}/cancel", f"/events/{EVENT_ID}/cancel", "POST",
                          params={"eventId": EVENT_ID}, who=caller(ORGANISER, "organiser")),
    "get-sales": event("/events/{eventId}/sales", f"/events/{EVENT_ID}/sales", "GET",
                       params={"eventId": EVENT_ID}, who=caller(ORGANISER, "organiser")),
    # A QR payload nobody signed: refused (scan a real ticket's QR on `make run`).
    "check-in": event("/checkins", "/checkins", "POST", who=caller("sample-door", "door"),
                      body={"qr": "not-a-signed-ticket", "gate": "North"}),
}
# The saga's steps get the state machine's Parameters.
for step in ["charge-payment", "sell-seats", "issue-tickets", "confirm-booking", "refund-payment", "release-seats"]:
    samples[step] = {"booking_id": BOOKING_ID}
samples["fail-booking"] = {"booking_id": BOOKING_ID, "error": {
    "Error": "PaymentDeclined",
    "Cause": json.dumps({"errorType": "PaymentDeclined", "errorMessage": "payment declined: card_declined"})}}
# What the notification queue delivers: an EventBridge event in an SQS message.
CONFIRMED = {"id": "5a3e0000-0000-4000-8000-0000000000e1", "type": "BookingConfirmed", "schema_version": 1,
             "time": "2026-01-01T00:00:00.000Z", "booking_id": BOOKING_ID, "event_id": EVENT_ID,
             "hold_id": CHECKOUT_HOLD, "buyer": FAN, "seats": ["A-1-3"], "total": 4500, "currency": "GBP",
             "status": "confirmed", "tickets": [f"{BOOKING_ID}-1"]}
samples["notify"] = {"Records": [{
    "messageId": "5a3e0000-0000-4000-8000-0000000000a1", "receiptHandle": "sample-receipt",
    "body": json.dumps({"version": "0", "id": "5a3e0000-0000-4000-8000-0000000000b1", "detail-type": "BookingConfirmed",
                        "source": "stagepass", "account": "123456789012", "time": "2026-01-01T00:00:00Z",
                        "region": "eu-west-1", "resources": [], "detail": CONFIRMED}),
    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
    "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:notifications",
    "awsRegion": "eu-west-1"}]}
# The sales queue delivers the same booking events to the example subscriber.
samples["count-sales"] = {"Records": [dict(samples["notify"]["Records"][0],
                                           messageId="5a3e0000-0000-4000-8000-0000000000a3",
                                           eventSourceARN="arn:aws:sqs:eu-west-1:123456789012:sales")]}
# What the cancellation queue delivers: a request to go on cancelling an event's bookings.
samples["cancel-event-bookings"] = {"Records": [{
    "messageId": "5a3e0000-0000-4000-8000-0000000000a2", "receiptHandle": "sample-receipt",
    "body": json.dumps({"event_id": EVENT_ID}),
    "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
    "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:cancellations",
    "awsRegion": "eu-west-1"}]}
# What the bookings table stream delivers when an outbox item is written.
samples["relay-outbox"] = {"Records": [{
    "eventID": "1", "eventName": "INSERT", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
    "awsRegion": "eu-west-1",
    "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/bookings/stream/2026-01-01T00:00:00.000",
    "dynamodb": {"ApproximateCreationDateTime": 1767225600, "SequenceNumber": "100000000000000000001",
                 "SizeBytes": 612, "StreamViewType": "NEW_IMAGE",
                 "Keys": {"pk": {"S": "OUTBOX#" + CONFIRMED["id"]}, "sk": {"S": "OUTBOX"}},
                 "NewImage": {"pk": {"S": "OUTBOX#" + CONFIRMED["id"]}, "sk": {"S": "OUTBOX"},
                              "outbox": {"S": "pending"},
                              "data": {"S": json.dumps({"id": CONFIRMED["id"], "kind": "BookingConfirmed",
                                                        "schema_version": 1, "time": CONFIRMED["time"],
                                                        "detail": CONFIRMED})}}}}]}
# What the inventory table stream delivers when DynamoDB's TTL deletes an expired seat claim.
samples["expire-holds"] = {"Records": [{
    "eventID": "2", "eventName": "REMOVE", "eventVersion": "1.1", "eventSource": "aws:dynamodb",
    "awsRegion": "eu-west-1",
    "eventSourceARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/inventory/stream/2026-01-01T00:00:00.000",
    "userIdentity": {"type": "Service", "principalId": "dynamodb.amazonaws.com"},
    "dynamodb": {"ApproximateCreationDateTime": 1767226200, "SequenceNumber": "200000000000000000001",
                 "SizeBytes": 180, "StreamViewType": "NEW_AND_OLD_IMAGES",
                 "Keys": {"pk": {"S": "UNIT#" + EVENT_ID + "#A"}, "sk": {"S": "A-1-1"}},
                 "OldImage": {"pk": {"S": "UNIT#" + EVENT_ID + "#A"}, "sk": {"S": "A-1-1"},
                              "hold_id": {"S": "5a3e0000-0000-4000-8000-0000000000d1"},
                              "state": {"S": "held"}, "expires_at": {"N": "1767226200000"},
                              "ttl": {"N": "1767226200"}}}}]}
# What an EventBridge schedule sends (the sweeper reads nothing from it).
samples["sweep-outbox"] = {
    "version": "0", "id": "5a3e0000-0000-4000-8000-0000000000c1", "detail-type": "Scheduled Event",
    "source": "aws.events", "account": "123456789012", "time": "2026-01-01T00:05:00Z", "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/stagepass-SweepOutbox"], "detail": {}}
samples["sweep-bookings"] = {
    "version": "0", "id": "5a3e0000-0000-4000-8000-0000000000c2", "detail-type": "Scheduled Event",
    "source": "aws.events", "account": "123456789012", "time": "2026-01-01T00:05:00Z", "region": "eu-west-1",
    "resources": ["arn:aws:events:eu-west-1:123456789012:rule/stagepass-SweepBookings"], "detail": {}}
# A TOKEN authorizer event. The token is well formed but signed by a key nobody has.
_header = b64(json.dumps({"alg": "EdDSA", "typ": "JWT", "kid": "sample-kid"}).encode())
_claims = b64(json.dumps({"sub": FAN, "roles": ["fan"], "iss": "stagepass", "aud": "stagepass-api",
                          "iat": 1767225600, "nbf": 1767225600, "exp": 4102444800, "jti": "sample"}).encode())
samples["authorizer"] = {
    "type": "TOKEN",
    "authorizationToken": f"Bearer {_header}.{_claims}.{b64(hashlib.sha512(b'not a signature').digest())}",
    "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:sample/live/POST/events/" + EVENT_ID + "/holds",
}
for name, sample in samples.items():
    (HERE / f"{name}.json").write_text(json.dumps(sample, indent=2) + "\n")

# The draft the update/publish/get/hold samples act on (seeded by the wiring test).
(HERE / "sample-draft.json").write_text(json.dumps({
    "id": EVENT_ID, "organiser": ORGANISER, "status": "draft", "title": "Sample Draft", "description": "",
    "category": "concert", "venue": {"name": "Sample Hall", "city": "Sampleton"},
    "starts_at": "2028-06-01T19:30:00Z", "currency": "GBP", "price_tiers": TIERS, "layout": LAYOUT,
    "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}, indent=2) + "\n")
