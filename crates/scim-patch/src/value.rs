//! Incoming values checked against their attribute definitions, and the
//! case-insensitive object access the resource documents need.
//!
//! Scalar values are type-checked by `scim_schema::AttributeType::coerce`,
//! exactly as POST/PUT validation does, and complex values are returned
//! with sub-attribute names in their canonical case.

use scim_schema::{AttributeDef, AttributeType, Mutability, Strictness};
use serde_json::{Map, Value};

use crate::error::Error;

/// Checks and normalises incoming values.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Normalizer {
    /// What to do with sub-attributes the schema does not define.
    pub(crate) strictness: Strictness,
}

impl Normalizer {
    /// The new values of the multi-valued attribute `def` given as `value`:
    /// an array, or one value, which is read as an array of one (Okta and
    /// OneLogin send `"value": {"value": "x@y.com", "type": "work"}` for
    /// `emails`). `null` elements and empty objects are dropped.
    pub(crate) fn values(
        &self,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<Vec<Value>, Error> {
        let items = match value {
            Value::Null => return Ok(Vec::new()),
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = self.element(def, item, path)? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// One new value of `def` (an element of a multi-valued attribute, or
    /// the value of a single-valued one), with no `null` sub-attributes;
    /// `None` for `null` or an object with nothing left. Checks that
    /// `required` sub-attributes are there.
    pub(crate) fn element(
        &self,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<Option<Value>, Error> {
        match self.single(def, value, path)? {
            Value::Null => Ok(None),
            Value::Object(mut fields) => {
                fields.retain(|_, v| !v.is_null());
                if fields.is_empty() {
                    return Ok(None);
                }
                check_required(def, &fields, path)?;
                Ok(Some(Value::Object(fields)))
            }
            v => Ok(Some(v)),
        }
    }

    /// One value of `def`, which must not be an array. `null` stays `null`.
    /// A complex value becomes an object with canonical sub-attribute
    /// names, in which `null` marks a sub-attribute to unassign; a scalar
    /// given for a complex attribute with a `value` sub-attribute reads as
    /// `{"value": scalar}` (Entra ID sends the enterprise `manager` as a
    /// bare id), and an array holding one object for a complex attribute
    /// reads as that object (Entra ID also sends `manager` as `[{...}]`).
    pub(crate) fn single(
        &self,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<Value, Error> {
        let wrong = |expected: &str| Error::value(format!("`{path}` must be {expected}"));
        Ok(match (def.ty, value) {
            (_, Value::Null) => Value::Null,
            (AttributeType::Complex, Value::Array(mut items))
                if !def.multi_valued && items.len() == 1 && items[0].is_object() =>
            {
                match items.remove(0) {
                    Value::Object(fields) => Value::Object(self.complex(def, fields, path)?),
                    _ => return Err(wrong("a single value, not an array")),
                }
            }
            (_, Value::Array(_)) => return Err(wrong("a single value, not an array")),
            (AttributeType::Complex, Value::Object(fields)) => {
                Value::Object(self.complex(def, fields, path)?)
            }
            (AttributeType::Complex, scalar) if def.sub_attribute("value").is_some() => {
                let mut fields = Map::new();
                fields.insert("value".to_owned(), scalar);
                Value::Object(self.complex(def, fields, path)?)
            }
            (ty, value) => ty.coerce(value).map_err(wrong)?,
        })
    }

    /// The sub-attributes of the complex `def`, checked, under their
    /// canonical names. `readOnly` sub-attributes of a writable attribute
    /// (the enterprise `manager.displayName`) are ignored, as RFC 7644
    /// §3.5.1 ignores readOnly values in a PUT: the service provider sets
    /// them. Unknown sub-attributes are dropped ([`Strictness::Lenient`])
    /// or refused ([`Strictness::Strict`]).
    fn complex(
        &self,
        def: &AttributeDef,
        fields: Map<String, Value>,
        path: &str,
    ) -> Result<Map<String, Value>, Error> {
        let mut out = Map::new();
        for (name, value) in fields {
            let Some(sub) = def.sub_attribute(&name) else {
                match self.strictness {
                    Strictness::Lenient => continue,
                    Strictness::Strict => {
                        return Err(Error::value(format!(
                            "`{path}` has no sub-attribute `{name}`"
                        )));
                    }
                }
            };
            if sub.mutability == Mutability::ReadOnly && def.mutability != Mutability::ReadOnly {
                continue;
            }
            let sub_path = format!("{path}.{}", sub.name);
            if out.contains_key(&sub.name) {
                return Err(Error::value(format!(
                    "`{sub_path}` is given more than once"
                )));
            }
            let checked = if sub.multi_valued {
                let values = self.values(sub, value, &sub_path)?;
                if values.is_empty() {
                    Value::Null
                } else {
                    Value::Array(values)
                }
            } else {
                self.single(sub, value, &sub_path)?
            };
            out.insert(sub.name.clone(), checked);
        }
        Ok(out)
    }
}

/// Fails with `invalidValue` if a `required`, writable sub-attribute of
/// `def` is missing from a new complex value.
pub(crate) fn check_required(
    def: &AttributeDef,
    fields: &Map<String, Value>,
    path: &str,
) -> Result<(), Error> {
    for sub in def
        .sub_attributes
        .iter()
        .filter(|s| s.required && s.mutability != Mutability::ReadOnly)
    {
        if get_ci(fields, &sub.name).is_none_or(Value::is_null) {
            return Err(Error::value(format!("`{path}.{}` is required", sub.name)));
        }
    }
    Ok(())
}

/// Looks `name` up in an object: exact match first, then ASCII
/// case-insensitive (attribute names are ASCII).
pub(crate) fn get_ci<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// Like [`get_ci`], on any value (`None` unless it is an object).
pub(crate) fn member_ci<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value.as_object().and_then(|o| get_ci(o, name))
}

/// Sets `name` (in its canonical case) to `value`, or removes it for
/// `None`, replacing any member whose name differs only in case, so that
/// the object never holds the same attribute twice.
pub(crate) fn put_ci(object: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if object
        .keys()
        .any(|k| k != name && k.eq_ignore_ascii_case(name))
    {
        object.retain(|k, _| !k.eq_ignore_ascii_case(name));
    }
    match value {
        Some(v) => {
            object.insert(name.to_owned(), v);
        }
        None => {
            object.remove(name);
        }
    }
}

/// Removes every member named `name` in any case, returning the first
/// object among them (or an empty object).
pub(crate) fn take_object_ci(object: &mut Map<String, Value>, name: &str) -> Map<String, Value> {
    let mut found = match object.remove(name) {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    };
    let others: Vec<String> = object
        .keys()
        .filter(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .collect();
    for key in others {
        if let Some(Value::Object(m)) = object.remove(&key)
            && found.is_none()
        {
            found = Some(m);
        }
    }
    found.unwrap_or_default()
}
