//! The draft's model of a schema: fields that can be changed in place, and partition fields.

use std::sync::Arc;

use iceberg::spec::{Literal, NestedField, NestedFieldRef, PrimitiveType, Transform, Type};

use crate::migrate::types::TypeSpec;

/// A field of the draft schema (the root is a struct field with id 0), changed in place.
#[derive(Debug, Clone)]
pub(crate) struct MField {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) required: bool,
    pub(crate) ty: MType,
    pub(crate) doc: Option<String>,
    pub(crate) initial_default: Option<Literal>,
    pub(crate) write_default: Option<Literal>,
}

/// A draft field's type, its nested fields owned.
#[derive(Debug, Clone)]
pub(crate) enum MType {
    Prim(PrimitiveType),
    Struct(Vec<MField>),
    List(Box<MField>),
    Map(Box<MField>, Box<MField>),
}

/// One step of a resolved path: a struct child by position, or a list element, map key or value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Child(usize),
    Element,
    Key,
    Value,
}

impl MField {
    pub(crate) fn from_nested(f: &NestedField) -> MField {
        MField {
            id: f.id,
            name: f.name.clone(),
            required: f.required,
            ty: MType::from_type(&f.field_type),
            doc: f.doc.clone(),
            initial_default: f.initial_default.clone(),
            write_default: f.write_default.clone(),
        }
    }

    pub(crate) fn to_nested(&self) -> NestedFieldRef {
        let mut f = NestedField::new(self.id, &self.name, self.ty.to_type(), self.required);
        f.doc = self.doc.clone();
        f.initial_default = self.initial_default.clone();
        f.write_default = self.write_default.clone();
        Arc::new(f)
    }

    pub(crate) fn child(&self, step: Step) -> Option<&MField> {
        match (step, &self.ty) {
            (Step::Child(i), MType::Struct(v)) => v.get(i),
            (Step::Element, MType::List(e)) => Some(e),
            (Step::Key, MType::Map(k, _)) => Some(k),
            (Step::Value, MType::Map(_, v)) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn child_mut(&mut self, step: Step) -> Option<&mut MField> {
        match (step, &mut self.ty) {
            (Step::Child(i), MType::Struct(v)) => v.get_mut(i),
            (Step::Element, MType::List(e)) => Some(e),
            (Step::Key, MType::Map(k, _)) => Some(k),
            (Step::Value, MType::Map(_, v)) => Some(v),
            _ => None,
        }
    }

    /// Ids of this field and everything nested in it.
    pub(crate) fn all_ids(&self, out: &mut Vec<i32>) {
        out.push(self.id);
        match &self.ty {
            MType::Prim(_) => {}
            MType::Struct(v) => v.iter().for_each(|f| f.all_ids(out)),
            MType::List(e) => e.all_ids(out),
            MType::Map(k, v) => {
                k.all_ids(out);
                v.all_ids(out);
            }
        }
    }
}

impl MType {
    pub(crate) fn from_type(t: &Type) -> MType {
        match t {
            Type::Primitive(p) => MType::Prim(p.clone()),
            Type::Struct(s) => {
                MType::Struct(s.fields().iter().map(|f| MField::from_nested(f)).collect())
            }
            Type::List(l) => MType::List(Box::new(MField::from_nested(&l.element_field))),
            Type::Map(m) => MType::Map(
                Box::new(MField::from_nested(&m.key_field)),
                Box::new(MField::from_nested(&m.value_field)),
            ),
        }
    }

    pub(crate) fn to_type(&self) -> Type {
        match self {
            MType::Prim(p) => Type::Primitive(p.clone()),
            MType::Struct(v) => Type::Struct(iceberg::spec::StructType::new(
                v.iter().map(MField::to_nested).collect(),
            )),
            MType::List(e) => Type::List(iceberg::spec::ListType::new(e.to_nested())),
            MType::Map(k, v) => {
                Type::Map(iceberg::spec::MapType::new(k.to_nested(), v.to_nested()))
            }
        }
    }

    /// A type from a parsed type name, with fresh ids (PyIceberg's `_SetFreshIDs` order).
    pub(crate) fn fresh(spec: &TypeSpec, next: &mut impl FnMut() -> i32) -> MType {
        let field = |id: i32, name: &str, required: bool, ty: MType| MField {
            id,
            name: name.to_string(),
            required,
            ty,
            doc: None,
            initial_default: None,
            write_default: None,
        };
        match spec {
            TypeSpec::Primitive(p) => MType::Prim(p.clone()),
            TypeSpec::Struct(fields) => {
                let ids: Vec<i32> = fields.iter().map(|_| next()).collect();
                MType::Struct(
                    fields
                        .iter()
                        .zip(ids)
                        .map(|(f, id)| field(id, &f.name, f.required, MType::fresh(&f.ty, next)))
                        .collect(),
                )
            }
            TypeSpec::List {
                element_required,
                element,
            } => {
                let id = next();
                MType::List(Box::new(field(
                    id,
                    "element",
                    *element_required,
                    MType::fresh(element, next),
                )))
            }
            TypeSpec::Map {
                key,
                value_required,
                value,
            } => {
                let key_id = next();
                let value_id = next();
                let k = field(key_id, "key", true, MType::fresh(key, next));
                let v = field(
                    value_id,
                    "value",
                    *value_required,
                    MType::fresh(value, next),
                );
                MType::Map(Box::new(k), Box::new(v))
            }
        }
    }
}

/// A field of the draft partition spec.
#[derive(Debug, Clone)]
pub(crate) struct PField {
    pub(crate) field_id: i32,
    pub(crate) source_id: i32,
    pub(crate) transform: Transform,
    pub(crate) name: String,
}
