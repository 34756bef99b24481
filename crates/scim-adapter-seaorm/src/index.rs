//! The value index: the leaf values of a resource as `scim_values` rows.
//!
//! Paths are lowercase, so that case-insensitive attribute names need no
//! folding at query time: `emails.value`, `name.givenname`, and for
//! extension attributes the full URN, `urn:...:user:manager.value`.

use scim_core::{ResourceKind, TenantId};
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value};

use crate::entity::value;
use crate::error::backend;
use scim_core::ports::StoreError;

/// Replaces the index rows of resource `id` with those of `attributes`.
pub(crate) async fn reindex<C: ConnectionTrait>(
    conn: &C,
    tenant: &TenantId,
    kind: ResourceKind,
    id: &str,
    attributes: &Map<String, Value>,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        value::Entity::delete_many()
            .filter(value::Column::ResourceId.eq(id))
            .exec(conn)
            .await
            .map_err(backend)?;
    }
    let mut rows = Vec::new();
    for (key, v) in attributes {
        let key = key.to_lowercase();
        match v {
            Value::Object(ext) if key.starts_with("urn:") => {
                for (name, inner) in ext {
                    collect(&format!("{key}:{}", name.to_lowercase()), inner, &mut rows);
                }
            }
            other => collect(&key, other, &mut rows),
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let models = rows.into_iter().map(|(path, elem, leaf)| {
        let (text_exact, text_folded, num_value, bool_value) = match leaf {
            Value::String(s) => {
                let micros = scim_schema::datetime::parse(s)
                    .map(|i| i.seconds() as f64 * 1e6 + fraction_micros(i.fraction()) as f64);
                (Some(s.clone()), Some(s.to_lowercase()), micros, None)
            }
            Value::Number(n) => (None, None, n.as_f64(), None),
            Value::Bool(b) => (None, None, None, Some(*b)),
            _ => (None, None, None, None),
        };
        value::ActiveModel {
            id: NotSet,
            tenant_id: Set(tenant.as_str().to_owned()),
            resource_type: Set(kind.as_str().to_owned()),
            resource_id: Set(id.to_owned()),
            path: Set(path),
            elem: Set(elem),
            text_exact: Set(text_exact),
            text_folded: Set(text_folded),
            num_value: Set(num_value),
            bool_value: Set(bool_value),
        }
    });
    value::Entity::insert_many(models)
        .exec_without_returning(conn)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The leaves under `path`: each value of a multi-valued attribute as its
/// own element, sub-attributes of complex values as `path.sub`.
fn collect<'a>(path: &str, v: &'a Value, rows: &mut Vec<(String, i32, &'a Value)>) {
    let items: Vec<&Value> = match v {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    for (elem, item) in items.into_iter().enumerate() {
        let elem = i32::try_from(elem).unwrap_or(i32::MAX);
        match item {
            Value::Object(fields) => {
                for (sub, leaf) in fields {
                    if is_leaf(leaf) {
                        rows.push((format!("{path}.{}", sub.to_lowercase()), elem, leaf));
                    }
                }
            }
            leaf if is_leaf(leaf) => rows.push((path.to_owned(), elem, leaf)),
            _ => {}
        }
    }
}

fn is_leaf(v: &Value) -> bool {
    matches!(v, Value::String(s) if !s.contains('\0'))
        || matches!(v, Value::Number(_) | Value::Bool(_))
}

/// The first six fraction digits as microseconds.
pub(crate) fn fraction_micros(fraction: &str) -> i64 {
    let mut digits: String = fraction.chars().take(6).collect();
    while digits.len() < 6 {
        digits.push('0');
    }
    digits.parse().unwrap_or(0)
}
