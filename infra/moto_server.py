"""Starts moto_server with DynamoDB made serializable, as the real service is.

moto's threaded server evaluates a condition and applies the write in separate steps, and a
failed transaction is rolled back by restoring a copy, so two concurrent requests can both pass
`attribute_not_exists(pk)` or a reader can see half a transaction. Real DynamoDB never allows
either, and our concurrency tests (many buyers, one seat) rely on that. One lock around every
DynamoDB item operation restores it; other services keep serving concurrently.

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import sys
import threading

from moto.dynamodb.models import DynamoDBBackend

_LOCK = threading.RLock()

for _name in [
    "put_item", "update_item", "delete_item", "get_item", "query", "scan",
    "transact_write_items", "transact_get_items", "batch_write_item", "batch_get_item",
]:
    _original = getattr(DynamoDBBackend, _name)

    def _serialized(self, *args, _original=_original, **kwargs):
        with _LOCK:
            return _original(self, *args, **kwargs)

    setattr(DynamoDBBackend, _name, _serialized)

from moto.server import main  # noqa: E402  (after the patch, so the server uses it)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
