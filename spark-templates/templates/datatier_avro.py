"""Avro decoding of Debezium change events for {{ template }} (rendered by spark-templates {{ version }}).

Records carry the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro binary),
which Apicurio Registry 3's converters write with `apicurio.registry.as-confluent=true` and
`apicurio.registry.headers.enabled=false` (strimzi-templates' debezium-postgres base). The writer
schema of each id is fetched once per process from the Confluent-compatible API
(`<registry>/schemas/ids/<id>`; Apicurio: `/apis/ccompat/v7`).

Pure Python (no image dependency): the job ships this file to the executors with addPyFile.
Values are converted to the table's column types from Debezium's semantic types (`connect.name`)
and Avro logical types, so the connector's `decimal.handling.mode` and `time.precision.mode` do not
need to match the table: decimals (precise, string or double), dates (days), timestamps (millis,
micros, nanos, ISO zoned strings).
"""
import datetime
import decimal
import json
import struct
import urllib.request

MAGIC = 0
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_DAY0 = datetime.date(1970, 1, 1)
_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


class AvroError(ValueError):
    pass


def frame_id(value):
    """The schema id of a Confluent-framed record, or None when it is not framed."""
    if value is None or len(value) < 5 or value[0] != MAGIC:
        return None
    return struct.unpack(">I", bytes(value[1:5]))[0]


def fetch_schema(registry_url, schema_id, timeout=30):
    """The writer schema (JSON text) of `schema_id` from a Confluent-compatible registry API."""
    url = f"{registry_url.rstrip('/')}/schemas/ids/{int(schema_id)}"
    req = urllib.request.Request(url, headers={"Accept": "application/vnd.schemaregistry.v1+json, application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        body = json.loads(r.read().decode("utf-8"))
    if body.get("schemaType", "AVRO") != "AVRO":
        raise AvroError(f"schema {schema_id} is {body.get('schemaType')}, not AVRO")
    return body["schema"]


class Schema:
    """A parsed writer schema: named types resolved, ready to decode."""

    def __init__(self, text):
        self.names = {}
        self.root = self._parse(json.loads(text) if isinstance(text, str) else text, None)

    def _parse(self, s, namespace):
        if isinstance(s, str):
            if s in _PRIMITIVES:
                return {"type": s}
            full = s if "." in s or not namespace else f"{namespace}.{s}"
            if full in self.names:
                return self.names[full]
            if s in self.names:
                return self.names[s]
            raise AvroError(f"unknown type {s!r}")
        if isinstance(s, list):
            return {"type": "union", "branches": [self._parse(b, namespace) for b in s]}
        t = s["type"]
        if t in ("record", "error", "enum", "fixed"):
            ns = s.get("namespace", namespace)
            name = s["name"]
            full = name if "." in name else (f"{ns}.{name}" if ns else name)
            node = dict(s)
            node["type"] = "record" if t == "error" else t
            self.names[full] = node
            if t in ("record", "error"):
                node_ns = full.rsplit(".", 1)[0] if "." in full else None
                node["fields"] = [dict(f, schema=self._parse(f["type"], node_ns)) for f in s["fields"]]
            return node
        if t == "array":
            return dict(s, items=self._parse(s["items"], namespace))
        if t == "map":
            return dict(s, values=self._parse(s["values"], namespace))
        if isinstance(t, (dict, list)) or t not in _PRIMITIVES:
            inner = self._parse(t, namespace)
            return dict(inner, **{k: v for k, v in s.items() if k != "type"})
        return dict(s)

    def decode(self, data, offset=0):
        r = _Reader(data, offset)
        return r.read(self.root)


class _Reader:
    def __init__(self, data, pos):
        self.b = bytes(data)
        self.pos = pos

    def long(self):
        shift, n = 0, 0
        while True:
            if self.pos >= len(self.b):
                raise AvroError("truncated varint")
            byte = self.b[self.pos]
            self.pos += 1
            n |= (byte & 0x7F) << shift
            if not byte & 0x80:
                break
            shift += 7
        return (n >> 1) ^ -(n & 1)

    def raw(self, n):
        if n < 0 or self.pos + n > len(self.b):
            raise AvroError("truncated record")
        out = self.b[self.pos:self.pos + n]
        self.pos += n
        return out

    def read(self, s):
        t = s["type"]
        if t == "null":
            return None
        if t == "boolean":
            return self.raw(1) != b"\x00"
        if t in ("int", "long"):
            return self.long()
        if t == "float":
            return struct.unpack("<f", self.raw(4))[0]
        if t == "double":
            return struct.unpack("<d", self.raw(8))[0]
        if t == "bytes":
            return self._logical(s, self.raw(self.long()))
        if t == "string":
            return self.raw(self.long()).decode("utf-8")
        if t == "record":
            return {f["name"]: self.read(f["schema"]) for f in s["fields"]}
        if t == "enum":
            return s["symbols"][self.long()]
        if t == "fixed":
            return self._logical(s, self.raw(s["size"]))
        if t == "union":
            i = self.long()
            if not 0 <= i < len(s["branches"]):
                raise AvroError(f"union branch {i} out of range")
            return self.read(s["branches"][i])
        if t == "array":
            return [self.read(s["items"]) for _ in self._blocks()]
        if t == "map":
            out = {}
            for _ in self._blocks():
                k = self.raw(self.long()).decode("utf-8")
                out[k] = self.read(s["values"])
            return out
        raise AvroError(f"unsupported type {t!r}")

    def _blocks(self):
        while True:
            n = self.long()
            if n == 0:
                return
            if n < 0:
                n = -n
                self.long()  # block size in bytes
            for _ in range(n):
                yield None

    @staticmethod
    def _logical(s, raw):
        if s.get("logicalType") == "decimal":
            return decimal.Decimal(int.from_bytes(raw, "big", signed=True)).scaleb(-int(s.get("scale", 0)))
        return raw


def _semantic(s):
    """The semantic of a field schema: Debezium/Connect name or Avro logical type."""
    if s["type"] == "union":
        for b in s["branches"]:
            if b["type"] != "null":
                return _semantic(b)
        return None, s
    return s.get("connect.name") or s.get("logicalType"), s


def _to_decimal(v, s):
    name, node = _semantic(s)
    if v is None:
        return None
    if isinstance(v, decimal.Decimal):
        return v
    if name == "io.debezium.data.VariableScaleDecimal" and isinstance(v, dict):
        return decimal.Decimal(int.from_bytes(v["value"], "big", signed=True)).scaleb(-int(v["scale"]))
    if isinstance(v, (bytes, bytearray)):
        scale = int((node.get("connect.parameters") or {}).get("scale", node.get("scale", 0)))
        return decimal.Decimal(int.from_bytes(v, "big", signed=True)).scaleb(-scale)
    return decimal.Decimal(str(v))


def _to_timestamp(v, s):
    name, _ = _semantic(s)
    if v is None:
        return None
    if isinstance(v, str):
        moment = datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)
    micros = {
        "io.debezium.time.MicroTimestamp": v,
        "timestamp-micros": v,
        "local-timestamp-micros": v,
        "io.debezium.time.NanoTimestamp": v // 1000,
    }.get(name, v * 1000)  # io.debezium.time.Timestamp, Connect Timestamp, timestamp-millis
    return _EPOCH + datetime.timedelta(microseconds=micros)


def _to_date(v, s):
    if v is None:
        return None
    if isinstance(v, str):
        return datetime.date.fromisoformat(v[:10])
    return _DAY0 + datetime.timedelta(days=v)


def convert(value, field_schema, sql_type):
    """A decoded Avro value as the Python value of a Spark column of `sql_type`."""
    t = sql_type.upper()
    if value is None:
        return None
    if t.startswith("DECIMAL"):
        return _to_decimal(value, field_schema)
    if t == "TIMESTAMP":
        return _to_timestamp(value, field_schema)
    if t == "DATE":
        return _to_date(value, field_schema)
    if t in ("BIGINT", "INT"):
        return int(value)
    if t == "DOUBLE":
        return float(value)
    if t == "BOOLEAN":
        return bool(value)
    if t == "STRING":
        return value if isinstance(value, str) else str(value)
    return value


def _field(record_schema, name):
    if record_schema["type"] == "union":
        record_schema = next(b for b in record_schema["branches"] if b["type"] != "null")
    return next((f for f in record_schema["fields"] if f["name"] == name), None)


def envelope(schema, data, columns, order_field):
    """Decodes one framed Debezium envelope into the tuple
    (before, after, op, ts_ms, (order, source ts_ms)) with each row a tuple of `columns` values
    converted to the columns' types, or None for a record that is not a change event."""
    if data is None:
        return None
    e = schema.decode(data, 5)
    if not isinstance(e, dict) or "op" not in e:
        return None

    def row(side):
        f = _field(schema.root, side)
        v = e.get(side)
        if f is None or v is None:
            return None
        value_schema = f["schema"]
        out = []
        for c in columns:
            cf = _field(value_schema, c["name"])
            out.append(convert(v.get(c["name"]), cf["schema"], c["type"]) if cf else None)
        return tuple(out)

    source = e.get("source") or {}
    order = source.get(order_field)
    return (row("before"), row("after"), e.get("op"), e.get("ts_ms"),
            (int(order) if order is not None else None, source.get("ts_ms")))


_CACHE = {}


def decoder(schemas, columns, order_field):
    """A function decoding framed bytes with the writer schemas {id: schema JSON text}."""

    def decode(data):
        sid = frame_id(data)
        if sid is None:
            return None
        text = schemas.get(sid)
        if text is None:
            raise AvroError(f"schema id {sid} was not fetched")
        parsed = _CACHE.get(text)
        if parsed is None:
            parsed = _CACHE[text] = Schema(text)
        return envelope(parsed, data, columns, order_field)

    return decode
