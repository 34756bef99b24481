//! The RFC 7643 §7 attribute model.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    /// A sequence of characters.
    String,
    /// `true` or `false`.
    Boolean,
    /// A real number.
    Decimal,
    /// A whole number.
    Integer,
    /// An RFC 3339 timestamp.
    DateTime,
    /// Base64-encoded bytes.
    Binary,
    /// A URI for a resource.
    Reference,
    /// A set of sub-attributes.
    Complex,
}

impl AttributeType {
    /// A value of this (non-complex) type in canonical form, converting what
    /// identity providers send for it: numbers for strings and references,
    /// `"True"`/`"False"` (any case) for booleans. `dateTime` values must be
    /// RFC 3339. On a mismatch, says what was expected, e.g. `"a boolean"`;
    /// complex values are for the caller to check sub-attribute by
    /// sub-attribute.
    ///
    /// ```
    /// use scim_schema::AttributeType;
    /// use serde_json::json;
    ///
    /// assert_eq!(AttributeType::Boolean.coerce(json!("False")), Ok(json!(false)));
    /// assert_eq!(AttributeType::String.coerce(json!(42)), Ok(json!("42")));
    /// assert_eq!(AttributeType::Integer.coerce(json!(1.5)), Err("an integer"));
    /// ```
    pub fn coerce(self, value: Value) -> Result<Value, &'static str> {
        match (self, value) {
            (AttributeType::String | AttributeType::Reference, Value::String(s)) => {
                Ok(Value::String(s))
            }
            (AttributeType::String | AttributeType::Reference, Value::Number(n)) => {
                Ok(Value::String(n.to_string()))
            }
            (AttributeType::String, _) => Err("a string"),
            (AttributeType::Reference, _) => Err("a reference (a string)"),
            (AttributeType::Binary, Value::String(s)) => Ok(Value::String(s)),
            (AttributeType::Binary, _) => Err("base64-encoded binary (a string)"),
            (AttributeType::Boolean, Value::Bool(b)) => Ok(Value::Bool(b)),
            (AttributeType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => {
                Ok(Value::Bool(true))
            }
            (AttributeType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => {
                Ok(Value::Bool(false))
            }
            (AttributeType::Boolean, _) => Err("a boolean"),
            (AttributeType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Ok(Value::Number(n))
            }
            (AttributeType::Integer, _) => Err("an integer"),
            (AttributeType::Decimal, Value::Number(n)) => Ok(Value::Number(n)),
            (AttributeType::Decimal, _) => Err("a number"),
            (AttributeType::DateTime, Value::String(s)) if crate::datetime::parse(&s).is_some() => {
                Ok(Value::String(s))
            }
            (AttributeType::DateTime, _) => {
                Err("a date and time in RFC 3339 form, e.g. 2011-05-13T04:42:34Z")
            }
            (AttributeType::Complex, _) => Err("an object of sub-attributes"),
        }
    }
}

/// Whether and how an attribute can be modified (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    /// Set only by the service provider.
    ReadOnly,
    /// May be updated and read at any time.
    #[default]
    ReadWrite,
    /// May be set once, when absent, and never changed afterwards.
    Immutable,
    /// May be set, never returned.
    WriteOnly,
}

/// When an attribute is returned in a response (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    /// Always returned, whatever `attributes` or `excludedAttributes` say.
    Always,
    /// Never returned.
    Never,
    /// Returned unless excluded.
    #[default]
    Default,
    /// Returned only when requested through `attributes`.
    Request,
}

/// How the service provider enforces uniqueness (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    /// No uniqueness is enforced.
    #[default]
    None,
    /// Unique within the tenant's resources of this type.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition, as published at `/Schemas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    /// The attribute name, in its canonical case.
    pub name: String,
    /// The data type.
    #[serde(rename = "type")]
    pub ty: AttributeType,
    /// Whether the attribute holds an array of values.
    #[serde(default)]
    pub multi_valued: bool,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether the attribute must be present.
    #[serde(default)]
    pub required: bool,
    /// Suggested values (e.g. `work`, `home`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    /// Whether string comparison is case-sensitive.
    #[serde(default)]
    pub case_exact: bool,
    /// Whether and how the attribute can be modified.
    #[serde(default)]
    pub mutability: Mutability,
    /// When the attribute is returned.
    #[serde(default)]
    pub returned: Returned,
    /// How uniqueness is enforced.
    #[serde(default)]
    pub uniqueness: Uniqueness,
    /// For references: the resource types the reference may point to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    /// For complex attributes: the sub-attributes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDef>,
}

impl AttributeDef {
    /// A single-valued, optional, read-write attribute of type `ty`.
    pub fn new(name: impl Into<String>, ty: AttributeType) -> Self {
        AttributeDef {
            name: name.into(),
            ty,
            multi_valued: false,
            description: String::new(),
            required: false,
            canonical_values: Vec::new(),
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// Looks up a sub-attribute by name, case-insensitively (RFC 7643 §2.1).
    pub fn sub_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema: a named, URN-identified set of attributes (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaDef {
    /// The schema URN.
    pub id: String,
    /// A human-readable name.
    #[serde(default)]
    pub name: String,
    /// A human-readable description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The top-level attributes.
    pub attributes: Vec<AttributeDef>,
}

impl SchemaDef {
    /// Looks up a top-level attribute by name, case-insensitively (RFC 7643 §2.1).
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// Checks a schema loaded at run time (an operator's or a tenant's):
    /// its id is a URN, every attribute name is an `ATTRNAME` (RFC 7643
    /// §2.1) unique among its siblings whatever the case, sub-attributes
    /// have no sub-attributes of their own (§2.3.8), and only complex
    /// attributes have sub-attributes. Returns what is wrong.
    pub fn check(&self) -> Result<(), String> {
        if !self
            .id
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
            || self.id.len() > 256
            || self.id.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(format!(
                "the schema id must be a URN of at most 256 characters, got {:?}",
                self.id
            ));
        }
        check_attributes(&self.id, &self.attributes, 0)
    }
}

/// Whether `name` is an `ATTRNAME`: `ALPHA *(nameChar)`, where a nameChar
/// is `-`, `_`, a digit or a letter (RFC 7643 §2.1), and at most 128 long.
pub(crate) fn is_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 128
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_attributes(within: &str, attributes: &[AttributeDef], depth: usize) -> Result<(), String> {
    for (i, attribute) in attributes.iter().enumerate() {
        let name = &attribute.name;
        if !is_attribute_name(name) {
            return Err(format!(
                "{within}: {name:?} is not an attribute name (a letter, then letters, digits, '-' or '_')"
            ));
        }
        if attributes[..i]
            .iter()
            .any(|a| a.name.eq_ignore_ascii_case(name))
        {
            return Err(format!("{within}: the attribute {name} is defined twice"));
        }
        let complex = attribute.ty == AttributeType::Complex;
        if complex && depth > 0 {
            return Err(format!(
                "{within}.{name}: a sub-attribute cannot be complex (RFC 7643 §2.3.8)"
            ));
        }
        if !complex && !attribute.sub_attributes.is_empty() {
            return Err(format!(
                "{within}.{name}: only complex attributes have sub-attributes"
            ));
        }
        check_attributes(
            &format!("{within}:{name}"),
            &attribute.sub_attributes,
            depth + 1,
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rfc_json_form() {
        let def: AttributeDef = serde_json::from_value(serde_json::json!({
            "name": "userName",
            "type": "string",
            "multiValued": false,
            "required": true,
            "caseExact": false,
            "mutability": "readWrite",
            "returned": "default",
            "uniqueness": "server"
        }))
        .unwrap();
        assert_eq!(def.ty, AttributeType::String);
        assert!(def.required);
        assert_eq!(def.uniqueness, Uniqueness::Server);
    }

    #[test]
    fn missing_characteristics_take_rfc_defaults() {
        let def: AttributeDef =
            serde_json::from_value(serde_json::json!({"name": "x", "type": "integer"})).unwrap();
        assert_eq!(def.mutability, Mutability::ReadWrite);
        assert_eq!(def.returned, Returned::Default);
        assert_eq!(def.uniqueness, Uniqueness::None);
        assert!(!def.case_exact && !def.multi_valued && !def.required);
    }
}
