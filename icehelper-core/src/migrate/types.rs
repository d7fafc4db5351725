//! Iceberg type names as migration files write them: `int`, `long`, `string`, `decimal(10,2)`,
//! `fixed[16]`, `timestamptz`, `struct<street: string, zip: required int>`, `list<string>`,
//! `map<string, long>`.
//!
//! Nested fields, list elements and map values are optional unless prefixed with `required`;
//! map keys are always required. Field ids are not part of a type name: they are assigned when
//! the column is added, as Iceberg Java and PyIceberg do.

use std::fmt;

use iceberg::spec::{PrimitiveType, Type};

/// A parsed type, without field ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSpec {
    /// A primitive type.
    Primitive(PrimitiveType),
    /// `struct<name: type, ...>`.
    Struct(Vec<FieldSpec>),
    /// `list<type>`.
    List {
        /// Whether elements are required.
        element_required: bool,
        /// The element type.
        element: Box<TypeSpec>,
    },
    /// `map<key, value>`.
    Map {
        /// The key type (keys are always required).
        key: Box<TypeSpec>,
        /// Whether values are required.
        value_required: bool,
        /// The value type.
        value: Box<TypeSpec>,
    },
}

/// A field of a `struct<...>` type name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSpec {
    /// Field name.
    pub name: String,
    /// Whether the field is required.
    pub required: bool,
    /// Its type.
    pub ty: TypeSpec,
}

/// Parses an Iceberg type name. The error says what was expected where.
pub fn parse_type(input: &str) -> Result<TypeSpec, String> {
    let mut p = Parser {
        s: input,
        pos: 0,
        depth: 0,
    };
    let t = p.ty()?;
    p.ws();
    if p.pos != input.len() {
        return Err(format!(
            "unexpected '{}' at position {} of type '{input}'",
            &input[p.pos..],
            p.pos + 1
        ));
    }
    Ok(t)
}

/// Parses a primitive type name (`long`, `decimal(12,2)`, ...).
pub fn parse_primitive(input: &str) -> Result<PrimitiveType, String> {
    match parse_type(input)? {
        TypeSpec::Primitive(p) => Ok(p),
        _ => Err(format!("'{input}' is not a primitive type")),
    }
}

/// How deep types may nest. icehelper reads `metadata.json` without a nesting limit, but other
/// readers do not: iceberg-rust's own parser (REST catalog clients included) stops at serde_json's
/// recursion limit of 128 JSON levels, and each level of a nested type takes up to three, so a
/// table with a deeper type would commit fine and then be unloadable by those readers.
pub const MAX_TYPE_DEPTH: usize = 32;

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(c) = self.s[self.pos..]
            .chars()
            .next()
            .filter(|c| c.is_whitespace())
        {
            self.pos += c.len_utf8();
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.s[self.pos..].starts_with(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!(
                "expected '{c}' at position {} of type '{}'",
                self.pos + 1,
                self.s
            ))
        }
    }

    /// A word: letters, digits, `_`.
    fn word(&mut self) -> String {
        self.ws();
        let rest = &self.s[self.pos..];
        let n = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += n;
        rest[..n].to_string()
    }

    fn number(&mut self) -> Result<u32, String> {
        let w = self.word();
        w.parse::<u32>()
            .map_err(|_| format!("expected a number, got '{w}' in type '{}'", self.s))
    }

    /// An optional `required`/`optional` keyword before a nested type.
    fn requiredness(&mut self) -> bool {
        let save = self.pos;
        let w = self.word().to_ascii_lowercase();
        match w.as_str() {
            "required" => true,
            "optional" => false,
            _ => {
                self.pos = save;
                false
            }
        }
    }

    fn ty(&mut self) -> Result<TypeSpec, String> {
        self.depth += 1;
        if self.depth > MAX_TYPE_DEPTH {
            return Err(format!(
                "type nests deeper than {MAX_TYPE_DEPTH} levels: other engines could not load the table again"
            ));
        }
        let t = self.ty_inner();
        self.depth -= 1;
        t
    }

    fn ty_inner(&mut self) -> Result<TypeSpec, String> {
        let start = self.pos;
        let w = self.word().to_ascii_lowercase();
        let prim = |p: PrimitiveType| Ok(TypeSpec::Primitive(p));
        match w.as_str() {
            "boolean" => prim(PrimitiveType::Boolean),
            "int" => prim(PrimitiveType::Int),
            "long" => prim(PrimitiveType::Long),
            "float" => prim(PrimitiveType::Float),
            "double" => prim(PrimitiveType::Double),
            "date" => prim(PrimitiveType::Date),
            "time" => prim(PrimitiveType::Time),
            "timestamp" => prim(PrimitiveType::Timestamp),
            "timestamptz" => prim(PrimitiveType::Timestamptz),
            "timestamp_ns" => prim(PrimitiveType::TimestampNs),
            "timestamptz_ns" => prim(PrimitiveType::TimestamptzNs),
            "string" => prim(PrimitiveType::String),
            "uuid" => prim(PrimitiveType::Uuid),
            "binary" => prim(PrimitiveType::Binary),
            "fixed" => {
                let close = if self.eat('(') { ')' } else { self.expect('[')?; ']' };
                let n = self.number()?;
                self.expect(close)?;
                prim(PrimitiveType::Fixed(n as u64))
            }
            "decimal" => {
                self.expect('(')?;
                let precision = self.number()?;
                self.expect(',')?;
                let scale = self.number()?;
                self.expect(')')?;
                if precision == 0 || precision > 38 {
                    return Err(format!(
                        "decimal precision must be 1 to 38, got {precision}"
                    ));
                }
                if scale > precision {
                    return Err(format!(
                        "decimal scale {scale} is larger than its precision {precision}"
                    ));
                }
                prim(PrimitiveType::Decimal { precision, scale })
            }
            "struct" => {
                self.expect('<')?;
                let mut fields = Vec::new();
                if !self.eat('>') {
                    loop {
                        let name = self.word();
                        if name.is_empty() {
                            return Err(format!(
                                "expected a field name at position {} of type '{}'",
                                self.pos + 1,
                                self.s
                            ));
                        }
                        if fields.iter().any(|f: &FieldSpec| f.name == name) {
                            return Err(format!("duplicate field '{name}' in type '{}'", self.s));
                        }
                        self.expect(':')?;
                        let required = self.requiredness();
                        let ty = self.ty()?;
                        fields.push(FieldSpec { name, required, ty });
                        if self.eat('>') {
                            break;
                        }
                        self.expect(',')?;
                    }
                }
                Ok(TypeSpec::Struct(fields))
            }
            "list" => {
                self.expect('<')?;
                let element_required = self.requiredness();
                let element = Box::new(self.ty()?);
                self.expect('>')?;
                Ok(TypeSpec::List {
                    element_required,
                    element,
                })
            }
            "map" => {
                self.expect('<')?;
                let key = Box::new(self.ty()?);
                self.expect(',')?;
                let value_required = self.requiredness();
                let value = Box::new(self.ty()?);
                self.expect('>')?;
                Ok(TypeSpec::Map {
                    key,
                    value_required,
                    value,
                })
            }
            "" => Err(format!(
                "expected a type name at position {} of '{}'",
                start + 1,
                self.s
            )),
            other => Err(format!(
                "unknown type '{other}' (Iceberg types: boolean, int, long, float, double, decimal(P,S), date, time, timestamp, timestamptz, timestamp_ns, timestamptz_ns, string, uuid, fixed[N], binary, struct<...>, list<...>, map<...,...>)"
            )),
        }
    }
}

impl fmt::Display for TypeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeSpec::Primitive(PrimitiveType::Decimal { precision, scale }) => {
                write!(f, "decimal({precision},{scale})")
            }
            TypeSpec::Primitive(PrimitiveType::Fixed(n)) => write!(f, "fixed[{n}]"),
            TypeSpec::Primitive(p) => write!(f, "{p}"),
            TypeSpec::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let req = if field.required { "required " } else { "" };
                    write!(f, "{}: {req}{}", field.name, field.ty)?;
                }
                f.write_str(">")
            }
            TypeSpec::List {
                element_required,
                element,
            } => {
                let req = if *element_required { "required " } else { "" };
                write!(f, "list<{req}{element}>")
            }
            TypeSpec::Map {
                key,
                value_required,
                value,
            } => {
                let req = if *value_required { "required " } else { "" };
                write!(f, "map<{key}, {req}{value}>")
            }
        }
    }
}

/// The type name of an Iceberg type, in the syntax [`parse_type`] reads.
pub fn type_to_string(t: &Type) -> String {
    spec_of(t).to_string()
}

/// The id-less form of an Iceberg type.
pub fn spec_of(t: &Type) -> TypeSpec {
    match t {
        Type::Primitive(p) => TypeSpec::Primitive(p.clone()),
        Type::Struct(s) => TypeSpec::Struct(
            s.fields()
                .iter()
                .map(|f| FieldSpec {
                    name: f.name.clone(),
                    required: f.required,
                    ty: spec_of(&f.field_type),
                })
                .collect(),
        ),
        Type::List(l) => TypeSpec::List {
            element_required: l.element_field.required,
            element: Box::new(spec_of(&l.element_field.field_type)),
        },
        Type::Map(m) => TypeSpec::Map {
            key: Box::new(spec_of(&m.key_field.field_type)),
            value_required: m.value_field.required,
            value: Box::new(spec_of(&m.value_field.field_type)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// Any input is a type or an error, never a panic.
        #[test]
        fn any_type_text_parses_or_errs(
            input in r"(struct|list|map|long|int|decimal|fixed|string|required|optional|<|>|\(|\)|\[|\]|,|:|a|b| |\u{3000}|\u{a0}|é|日|1|38|99999999999){0,40}"
        ) {
            let _ = parse_type(&input);
        }

        #[test]
        fn any_bytes_as_a_type_parse_or_err(input in ".{0,64}") {
            let _ = parse_type(&input);
        }
    }

    #[test]
    fn bad_type_names_are_errors_not_panics() {
        // non-ASCII whitespace once panicked (not a char boundary), deep types overflowed the stack
        assert_eq!(
            parse_type("\u{3000}long").unwrap(),
            TypeSpec::Primitive(PrimitiveType::Long)
        );
        assert_eq!(
            parse_type("long\u{a0}").unwrap(),
            TypeSpec::Primitive(PrimitiveType::Long)
        );
        assert!(parse_type("é").is_err());
        let deep = |n: usize| format!("{}long{}", "list<".repeat(n), ">".repeat(n));
        assert!(parse_type(&deep(MAX_TYPE_DEPTH - 1)).is_ok());
        assert!(parse_type(&deep(MAX_TYPE_DEPTH))
            .unwrap_err()
            .contains("deeper than"));
        assert!(parse_type(&deep(100_000)).is_err());
        let deep_struct = format!("{}long{}", "struct<a:".repeat(200), ">".repeat(200));
        assert!(parse_type(&deep_struct).is_err());
    }

    #[test]
    fn parses_and_prints_type_names() {
        for (input, printed) in [
            ("int", "int"),
            ("Long", "long"),
            ("decimal( 10 , 2 )", "decimal(10,2)"),
            ("fixed[16]", "fixed[16]"),
            ("timestamptz", "timestamptz"),
            (
                "struct<street:string, zip: required int>",
                "struct<street: string, zip: required int>",
            ),
            ("list<required string>", "list<required string>"),
            (
                "map<string, struct<a: long>>",
                "map<string, struct<a: long>>",
            ),
            (
                "list<map<int,list<double>>>",
                "list<map<int, list<double>>>",
            ),
        ] {
            let t = parse_type(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(t.to_string(), printed);
            assert_eq!(parse_type(printed).unwrap(), t);
        }
        for bad in [
            "",
            "integer",
            "decimal(10)",
            "decimal(40,2)",
            "decimal(2,3)",
            "struct<a string>",
            "struct<a: int, a: long>",
            "list<int",
            "map<int>",
            "int extra",
        ] {
            assert!(parse_type(bad).is_err(), "{bad}");
        }
    }
}
