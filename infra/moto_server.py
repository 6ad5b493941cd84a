"""Starts moto_server with DynamoDB made serializable, as the real service is.

moto's threaded server evaluates a condition and applies the write in separate steps, and a
failed transaction is rolled back by restoring a copy, so two concurrent requests can both pass
`attribute_not_exists(pk)` or a reader can see half a transaction. Real DynamoDB never allows
either, and our concurrency tests (many buyers, one seat) rely on that. One lock around every
DynamoDB item operation restores it; other services keep serving concurrently.

moto also makes every TransactWriteItems deep-copy each table it touches, to roll back a
cancelled one: with the thousands of items of a big event that is seconds and gigabytes per
transaction. Here a transaction's conditions are all checked first, against the items as they
are (under the same lock), so one that would be cancelled writes nothing and is answered as
DynamoDB does; one that passes is applied by moto without the copy.

Usage: python infra/moto_server.py -H 127.0.0.1 -p PORT   (the arguments of moto_server)
"""
import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.exceptions import TransactionCanceledException
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table

_LOCK = threading.RLock()


class _TablesNotCopied:
    """`copy` for moto's transaction code: tables are passed through, anything else copied."""

    @staticmethod
    def deepcopy(value):
        return value if isinstance(value, Table) else copy.deepcopy(value)


def _key_of(backend, op_type, op):
    if op_type != "Put":
        return op["Key"]
    table = backend.get_table(op["TableName"])
    attrs = op["Item"]
    return {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k is not None}


def _cancellations(backend, transact_items):
    """Each item's (code, message, old item) as moto reports them, or None if moto should
    handle the request itself (an operation or a shape it refuses)."""
    reasons, seen = [], set()
    for entry in transact_items:
        if len(entry) != 1:
            return None
        op_type, op = next(iter(entry.items()))
        if op_type not in {"ConditionCheck", "Put", "Delete", "Update"}:
            return None
        key = _key_of(backend, op_type, op)
        unique = (op["TableName"], str(sorted(key.items())))
        if unique in seen:
            return None
        seen.add(unique)
        condition = op.get("ConditionExpression")
        current = backend.get_item(op["TableName"], key)
        if condition is None or dynamodb_models.get_filter_expression(
            condition, op.get("ExpressionAttributeNames"), op.get("ExpressionAttributeValues")
        ).expr(current):
            reasons.append((None, None, None))
            continue
        old = None
        if current and op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            old = current.to_json()["Attributes"]
        reasons.append(("ConditionalCheckFailed", "The conditional request failed", old))
    return reasons


_moto_transact = DynamoDBBackend.transact_write_items


def _transact_write_items(self, transact_items):
    reasons = _cancellations(self, transact_items)
    if reasons is None:
        return _moto_transact(self, transact_items)
    if any(code is not None for code, _, _ in reasons):
        raise TransactionCanceledException(reasons)
    dynamodb_models.copy = _TablesNotCopied
    try:
        return _moto_transact(self, transact_items)
    finally:
        dynamodb_models.copy = copy


DynamoDBBackend.transact_write_items = _transact_write_items

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
