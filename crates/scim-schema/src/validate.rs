//! Validation of incoming resources for create (POST) and replace (PUT).

use std::fmt;

use serde_json::{Map, Value};

use crate::attribute::{AttributeDef, AttributeType, Mutability, SchemaDef};
use crate::error::ScimType;
use crate::resource_type::{ResourceType, split_urn};

/// What to do with attributes that no schema of the resource type defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    /// Drop them, so that identity providers sending attributes the
    /// service does not know keep working. The default.
    #[default]
    Lenient,
    /// Reject the request with `invalidSyntax`, naming the attribute.
    Strict,
}

/// Which request is validated.
#[derive(Debug, Clone, Copy)]
pub enum Mode<'a> {
    /// POST: a new resource.
    Create,
    /// PUT: replaces `existing`, the stored attributes of the resource.
    /// Immutable attributes that are set must keep their value.
    Replace(&'a Map<String, Value>),
}

/// Why an incoming resource was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// The SCIM error type: `invalidSyntax`, `invalidValue` or `mutability`.
    pub scim_type: ScimType,
    /// The attribute at fault, as a path (`emails`, `name.givenName`), or
    /// empty for the whole body.
    pub attribute: String,
    /// A human-readable explanation.
    pub detail: String,
}

impl ValidationError {
    fn new(scim_type: ScimType, attribute: &str, detail: impl Into<String>) -> Self {
        ValidationError {
            scim_type,
            attribute: attribute.to_owned(),
            detail: detail.into(),
        }
    }

    fn value(attribute: &str, detail: impl Into<String>) -> Self {
        Self::new(ScimType::InvalidValue, attribute, detail)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for ValidationError {}

impl ResourceType {
    /// Checks an incoming resource and returns it in canonical form:
    ///
    /// - attribute and sub-attribute names in their schema's case;
    /// - read-only attributes (`id`, `meta`, `groups`, ...) dropped, as
    ///   RFC 7643 §7 says clients' values for them are ignored;
    /// - `null` and empty arrays dropped (RFC 7643 §2.5: unassigned);
    /// - a single value for a multi-valued attribute wrapped in an array,
    ///   `"True"`/`"False"` strings for booleans and numbers for strings
    ///   converted, as identity providers send them;
    /// - extension attributes under their extension URN, and `schemas`
    ///   listing the base schema and exactly the extensions present;
    /// - unknown attributes dropped or rejected per `strictness`.
    ///
    /// Errors: a body that is not an object, or attributes given twice, are
    /// `invalidSyntax`; missing required attributes, wrong types, unknown
    /// schema URNs and more than one `primary` value are `invalidValue`; on
    /// replace, a changed immutable attribute is `mutability`.
    ///
    /// ```
    /// use scim_schema::{Mode, ResourceType, Strictness};
    /// use serde_json::json;
    ///
    /// let users = ResourceType::user();
    /// let body = json!({
    ///     "USERNAME": "bjensen",
    ///     "id": "ignored",
    ///     "active": "True",
    ///     "emails": {"value": "b@example.com", "type": "work"},
    ///     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": 701984}
    /// });
    /// let stored = users.validate(body, Mode::Create, Strictness::Lenient).unwrap();
    /// assert_eq!(stored["userName"], "bjensen");
    /// assert_eq!(stored["active"], true);
    /// assert!(stored.get("id").is_none());
    /// assert_eq!(stored["emails"][0]["value"], "b@example.com");
    /// assert_eq!(
    ///     stored["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["employeeNumber"],
    ///     "701984"
    /// );
    /// assert_eq!(stored["schemas"].as_array().unwrap().len(), 2);
    /// ```
    pub fn validate(
        &self,
        input: Value,
        mode: Mode<'_>,
        strictness: Strictness,
    ) -> Result<Map<String, Value>, ValidationError> {
        let Value::Object(input) = input else {
            return Err(ValidationError::new(
                ScimType::InvalidSyntax,
                "",
                "the resource must be a JSON object",
            ));
        };
        let checker = Checker { strictness };
        let mut out = Map::new();
        let mut declared: Option<Vec<String>> = None;
        // One attribute map per extension, in the resource type's order.
        let mut extensions: Vec<Map<String, Value>> = vec![Map::new(); self.extensions.len()];

        for (key, value) in input {
            if key.eq_ignore_ascii_case("schemas") {
                declared = Some(schema_list(value)?);
            } else if let Some(def) = self.core_attribute(&key) {
                checker.put(&mut out, def, value, &def.name)?;
            } else if let Some(i) = self.extension_index(&key) {
                let schema = &self.extensions[i].schema;
                let Value::Object(attrs) = value else {
                    if value.is_null() {
                        continue;
                    }
                    return Err(ValidationError::value(
                        &schema.id,
                        format!("{} must be an object of its attributes", schema.id),
                    ));
                };
                for (name, v) in attrs {
                    checker.put_in_schema(&mut extensions[i], schema, &name, v, &schema.id)?;
                }
            } else if let Some((Some(urn), name)) = split_urn(&key, |u| self.knows_schema(u)) {
                // A fully qualified attribute, e.g. `urn:...:User:userName`.
                match self.extension_index(urn) {
                    Some(i) => {
                        let schema = &self.extensions[i].schema;
                        checker.put_in_schema(
                            &mut extensions[i],
                            schema,
                            name,
                            value,
                            &schema.id,
                        )?;
                    }
                    None => checker.put_in_schema(&mut out, &self.schema, name, value, "")?,
                }
            } else {
                checker.unknown(&key)?;
            }
        }

        let mut schemas = vec![Value::String(self.schema.id.clone())];
        if let Some(declared) = &declared {
            if !declared
                .iter()
                .any(|u| u.eq_ignore_ascii_case(&self.schema.id))
            {
                return Err(ValidationError::value(
                    "schemas",
                    format!("schemas must contain {}", self.schema.id),
                ));
            }
            if let Some(unknown) = declared.iter().find(|u| !self.knows_schema(u)) {
                checker.unknown_schema(unknown)?;
            }
        }
        for (ext, attrs) in self.extensions.iter().zip(extensions) {
            if !attrs.is_empty() {
                schemas.push(Value::String(ext.schema.id.clone()));
                out.insert(ext.schema.id.clone(), Value::Object(attrs));
            }
        }
        out.insert("schemas".to_owned(), Value::Array(schemas));

        if let Mode::Replace(existing) = mode {
            self.keep_immutable(&mut out, existing)?;
        }
        self.check_required(&out)?;
        Ok(out)
    }

    fn extension_index(&self, urn: &str) -> Option<usize> {
        self.extensions
            .iter()
            .position(|e| e.schema.id.eq_ignore_ascii_case(urn))
    }

    /// RFC 7644 §3.5.1: set immutable values must match; omitted ones stay.
    fn keep_immutable(
        &self,
        out: &mut Map<String, Value>,
        existing: &Map<String, Value>,
    ) -> Result<(), ValidationError> {
        check_immutable(&self.schema, out, existing, "")?;
        for ext in &self.extensions {
            let id = &ext.schema.id;
            let Some(Value::Object(old)) = existing.get(id) else {
                continue;
            };
            let mut new = match out.remove(id) {
                Some(Value::Object(new)) => new,
                _ => Map::new(),
            };
            check_immutable(&ext.schema, &mut new, old, id)?;
            if !new.is_empty() {
                out.insert(id.clone(), Value::Object(new));
                if let Some(Value::Array(schemas)) = out.get_mut("schemas")
                    && !schemas.iter().any(|s| s.as_str() == Some(id.as_str()))
                {
                    schemas.push(Value::String(id.clone()));
                }
            }
        }
        Ok(())
    }

    fn check_required(&self, out: &Map<String, Value>) -> Result<(), ValidationError> {
        require(&self.schema, out, "")?;
        for ext in &self.extensions {
            match out.get(&ext.schema.id) {
                Some(Value::Object(attrs)) => require(&ext.schema, attrs, &ext.schema.id)?,
                _ if ext.required => {
                    return Err(ValidationError::value(
                        &ext.schema.id,
                        format!("the extension {} is required", ext.schema.id),
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

fn schema_list(value: Value) -> Result<Vec<String>, ValidationError> {
    let syntax = || {
        ValidationError::new(
            ScimType::InvalidSyntax,
            "schemas",
            "schemas must be an array of schema URNs",
        )
    };
    match value {
        Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => Ok(s),
                _ => Err(syntax()),
            })
            .collect(),
        _ => Err(syntax()),
    }
}

fn check_immutable(
    schema: &SchemaDef,
    out: &mut Map<String, Value>,
    existing: &Map<String, Value>,
    prefix: &str,
) -> Result<(), ValidationError> {
    for def in schema
        .attributes
        .iter()
        .filter(|a| a.mutability == Mutability::Immutable)
    {
        let Some(old) = existing.get(&def.name) else {
            continue;
        };
        match out.get(&def.name) {
            None => {
                out.insert(def.name.clone(), old.clone());
            }
            Some(new) if new == old => {}
            Some(_) => {
                let path = qualified(prefix, &def.name);
                return Err(ValidationError::new(
                    ScimType::Mutability,
                    &path,
                    format!("{path} is immutable and cannot be changed"),
                ));
            }
        }
    }
    Ok(())
}

fn require(
    schema: &SchemaDef,
    attrs: &Map<String, Value>,
    prefix: &str,
) -> Result<(), ValidationError> {
    for def in schema
        .attributes
        .iter()
        .filter(|a| a.required && a.mutability != Mutability::ReadOnly)
    {
        // A blank string names nothing: a required name must say something.
        let given = match attrs.get(&def.name) {
            None => false,
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(_) => true,
        };
        if !given {
            let path = qualified(prefix, &def.name);
            return Err(ValidationError::value(&path, format!("{path} is required")));
        }
    }
    Ok(())
}

fn qualified(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}:{name}")
    }
}

/// The per-value rules, with the strictness setting.
struct Checker {
    strictness: Strictness,
}

impl Checker {
    fn unknown(&self, path: &str) -> Result<(), ValidationError> {
        match self.strictness {
            Strictness::Lenient => Ok(()),
            Strictness::Strict => Err(ValidationError::new(
                ScimType::InvalidSyntax,
                path,
                format!("unknown attribute {path}"),
            )),
        }
    }

    fn unknown_schema(&self, urn: &str) -> Result<(), ValidationError> {
        match self.strictness {
            Strictness::Lenient => Ok(()),
            Strictness::Strict => Err(ValidationError::value(
                "schemas",
                format!("unknown schema {urn}"),
            )),
        }
    }

    /// Looks `name` up in `schema` and stores its checked value.
    fn put_in_schema(
        &self,
        out: &mut Map<String, Value>,
        schema: &SchemaDef,
        name: &str,
        value: Value,
        prefix: &str,
    ) -> Result<(), ValidationError> {
        match schema.attribute(name) {
            Some(def) => self.put(out, def, value, &qualified(prefix, &def.name)),
            None => self.unknown(&qualified(prefix, name)),
        }
    }

    /// Stores the checked value of `def`, known to the client as `path`,
    /// under its canonical name.
    fn put(
        &self,
        out: &mut Map<String, Value>,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<(), ValidationError> {
        if def.mutability == Mutability::ReadOnly {
            return Ok(());
        }
        if out.contains_key(&def.name) {
            return Err(ValidationError::new(
                ScimType::InvalidSyntax,
                path,
                format!("{path} is given more than once"),
            ));
        }
        if let Some(v) = self.attribute(def, value, path)? {
            out.insert(def.name.clone(), v);
        }
        Ok(())
    }

    /// The checked value of an attribute, or `None` when unassigned.
    fn attribute(
        &self,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<Option<Value>, ValidationError> {
        if !def.multi_valued {
            // Entra ID sends the enterprise `manager` as an array of one
            // reference; one object in an array is that object.
            let value = match value {
                Value::Array(mut items)
                    if def.ty == AttributeType::Complex
                        && items.len() == 1
                        && items[0].is_object() =>
                {
                    items.remove(0)
                }
                other => other,
            };
            if value.is_array() {
                return Err(ValidationError::value(
                    path,
                    format!("{path} is single-valued but an array was given"),
                ));
            }
            return self.single(def, value, path);
        }
        let items = match value {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            single => vec![single],
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            if let Some(v) = self.single(def, item, path)? {
                out.push(v);
            }
        }
        let primaries = out
            .iter()
            .filter(|v| v.get("primary") == Some(&Value::Bool(true)))
            .count();
        if primaries > 1 {
            return Err(ValidationError::value(
                path,
                format!("at most one value of {path} may be primary"),
            ));
        }
        Ok((!out.is_empty()).then_some(Value::Array(out)))
    }

    /// The checked value of one (non-array) value of `def`.
    fn single(
        &self,
        def: &AttributeDef,
        value: Value,
        path: &str,
    ) -> Result<Option<Value>, ValidationError> {
        let wrong =
            |expected: &str| ValidationError::value(path, format!("{path} must be {expected}"));
        match (def.ty, value) {
            (_, Value::Null) => Ok(None),
            (AttributeType::Complex, Value::Object(fields)) => self.complex(def, fields, path),
            (AttributeType::Complex, _) => Err(wrong("an object")),
            (ty, value) => ty.coerce(value).map(Some).map_err(wrong),
        }
    }

    fn complex(
        &self,
        def: &AttributeDef,
        fields: Map<String, Value>,
        path: &str,
    ) -> Result<Option<Value>, ValidationError> {
        let mut out = Map::new();
        for (name, value) in fields {
            match def.sub_attribute(&name) {
                Some(sub) => self.put(&mut out, sub, value, &format!("{path}.{}", sub.name))?,
                None => self.unknown(&format!("{path}.{name}"))?,
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        for sub in def
            .sub_attributes
            .iter()
            .filter(|s| s.required && s.mutability != Mutability::ReadOnly)
        {
            if !out.contains_key(&sub.name) {
                return Err(ValidationError::value(
                    path,
                    format!("{path}.{} is required", sub.name),
                ));
            }
        }
        Ok(Some(Value::Object(out)))
    }
}

#[cfg(test)]
mod tests;
