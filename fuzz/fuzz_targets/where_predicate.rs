//! `compact --where`: any input parses or is refused with an error; never a panic, an abort or a
//! stack overflow.
#![no_main]

use std::sync::OnceLock;

use iceberg::spec::{NestedField, PrimitiveType, Schema, Type};
use libfuzzer_sys::fuzz_target;

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let columns = [
            ("id", PrimitiveType::Long),
            ("n", PrimitiveType::Int),
            ("city", PrimitiveType::String),
            ("day", PrimitiveType::Date),
            ("ts", PrimitiveType::Timestamptz),
            ("ok", PrimitiveType::Boolean),
            ("price", PrimitiveType::Decimal { precision: 10, scale: 2 }),
            ("x", PrimitiveType::Double),
        ];
        Schema::builder()
            .with_fields(columns.into_iter().enumerate().map(|(i, (name, ty))| {
                NestedField::optional(i as i32 + 1, name, Type::Primitive(ty)).into()
            }))
            .build()
            .expect("a valid schema")
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(input) = std::str::from_utf8(data) {
        let _ = icehelper_core::compact::predicate::parse_where(input, schema());
    }
});
