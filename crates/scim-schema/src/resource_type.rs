//! Resource types: a base schema plus the extensions its resources may carry.

use crate::attribute::{AttributeDef, SchemaDef};
use crate::builtin;
use crate::discovery::{ResourceTypeDef, SchemaExtensionRef};
use crate::urn;

/// A schema extension of a resource type (RFC 7643 §6, `schemaExtensions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension schema.
    pub schema: SchemaDef,
    /// Whether every resource of the type must carry it.
    pub required: bool,
}

/// A resource type with everything needed to validate and shape its
/// resources: the base schema, its extensions and the common attributes.
///
/// ```
/// use scim_schema::{ResourceType, urn};
///
/// let users = ResourceType::user();
/// assert_eq!(users.endpoint, "/Users");
/// let (ext, attr) = users.find("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").unwrap();
/// assert_eq!(ext, Some(urn::ENTERPRISE_USER));
/// assert_eq!(attr.name, "employeeNumber");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// The resource type name, e.g. `User` (also `meta.resourceType`).
    pub name: String,
    /// The endpoint relative to the base URL, e.g. `/Users`.
    pub endpoint: String,
    /// A human-readable description.
    pub description: String,
    /// The base schema.
    pub schema: SchemaDef,
    /// The extensions resources of this type may carry.
    pub extensions: Vec<Extension>,
    common: Vec<AttributeDef>,
}

impl ResourceType {
    /// A resource type over `schema` with no extensions.
    pub fn new(name: impl Into<String>, endpoint: impl Into<String>, schema: SchemaDef) -> Self {
        ResourceType {
            name: name.into(),
            endpoint: endpoint.into(),
            description: String::new(),
            schema,
            extensions: Vec::new(),
            common: builtin::common_attributes(),
        }
    }

    /// Users: the core User schema with the optional Enterprise User extension.
    pub fn user() -> Self {
        let mut users = ResourceType::new("User", "/Users", builtin::user())
            .with_extension(builtin::enterprise_user(), false);
        users.description = "User Account".to_owned();
        users
    }

    /// Groups: the core Group schema.
    pub fn group() -> Self {
        let mut groups = ResourceType::new("Group", "/Groups", builtin::group());
        groups.description = "Group".to_owned();
        groups
    }

    /// Adds an extension (e.g. a custom schema loaded from JSON).
    pub fn with_extension(mut self, schema: SchemaDef, required: bool) -> Self {
        self.extensions.push(Extension { schema, required });
        self
    }

    /// The common attributes (`schemas`, `id`, `externalId`, `meta`).
    pub fn common_attributes(&self) -> &[AttributeDef] {
        &self.common
    }

    /// The extension with URN `urn`, compared case-insensitively.
    pub fn extension(&self, urn: &str) -> Option<&Extension> {
        self.extensions
            .iter()
            .find(|e| e.schema.id.eq_ignore_ascii_case(urn))
    }

    /// Whether `urn` is the base schema or one of the extensions.
    pub fn knows_schema(&self, urn: &str) -> bool {
        self.schema.id.eq_ignore_ascii_case(urn) || self.extension(urn).is_some()
    }

    /// A top-level attribute of the base schema or a common attribute.
    pub fn core_attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .or_else(|| self.schema.attribute(name))
    }

    /// Resolves an attribute reference such as `userName`, `name.givenName`,
    /// `urn:ietf:params:scim:schemas:core:2.0:User:userName` or
    /// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`
    /// to the extension URN it lives in (`None` for the base schema and
    /// common attributes) and its definition.
    pub fn find(&self, reference: &str) -> Option<(Option<&str>, &AttributeDef)> {
        let (schema, path) = split_urn(reference, |u| self.knows_schema(u))?;
        let (name, sub) = match path.split_once('.') {
            Some((name, sub)) => (name, Some(sub)),
            None => (path, None),
        };
        let (ext, attr) = match schema {
            Some(u) if !self.schema.id.eq_ignore_ascii_case(u) => {
                let ext = self.extension(u)?;
                (Some(ext.schema.id.as_str()), ext.schema.attribute(name)?)
            }
            Some(_) => (None, self.schema.attribute(name)?),
            None => (None, self.core_attribute(name)?),
        };
        match sub {
            None => Some((ext, attr)),
            Some(sub) => Some((ext, attr.sub_attribute(sub)?)),
        }
    }

    /// The `/ResourceTypes` document of this type.
    pub fn definition(&self) -> ResourceTypeDef {
        ResourceTypeDef {
            schemas: vec![urn::RESOURCE_TYPE.to_owned()],
            id: self.name.clone(),
            name: self.name.clone(),
            endpoint: self.endpoint.clone(),
            description: self.description.clone(),
            schema: self.schema.id.clone(),
            schema_extensions: self
                .extensions
                .iter()
                .map(|e| SchemaExtensionRef {
                    schema: e.schema.id.clone(),
                    required: e.required,
                })
                .collect(),
        }
    }
}

/// Splits `urn:...:Schema:attr.sub` into the schema URN and the attribute
/// path. `known` says which URNs exist, so that URNs containing dots or
/// colons split where a schema ends. A reference without a `urn:` prefix
/// has no schema. Returns `None` for a URN-prefixed reference to an
/// unknown schema.
pub(crate) fn split_urn(
    reference: &str,
    known: impl Fn(&str) -> bool,
) -> Option<(Option<&str>, &str)> {
    if !reference
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
    {
        return Some((None, reference));
    }
    // The schema is the longest known prefix followed by ':'.
    let mut best = None;
    for (i, c) in reference.char_indices() {
        if c == ':' && known(&reference[..i]) {
            best = Some(i);
        }
    }
    let i = best?;
    Some((Some(&reference[..i]), &reference[i + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_attributes_with_and_without_urn_prefixes_in_any_case() {
        let users = ResourceType::user();
        let (ext, attr) = users.find("USERNAME").unwrap();
        assert_eq!((ext, attr.name.as_str()), (None, "userName"));
        let (ext, attr) = users
            .find("urn:ietf:params:scim:schemas:core:2.0:User:name.GIVENNAME")
            .unwrap();
        assert_eq!((ext, attr.name.as_str()), (None, "givenName"));
        let (ext, attr) = users
            .find("URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value")
            .unwrap();
        assert_eq!(
            (ext, attr.name.as_str()),
            (Some(urn::ENTERPRISE_USER), "value")
        );
        assert_eq!(
            users.find("meta.lastModified").unwrap().1.name,
            "lastModified"
        );
        assert!(users.find("nope").is_none());
        assert!(users.find("urn:example:unknown:attr").is_none());
        assert!(users.find("name.nope").is_none());
    }

    #[test]
    fn the_resource_type_document_lists_extensions() {
        let def = ResourceType::user().definition();
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["endpoint"], "/Users");
        assert_eq!(json["schema"], urn::USER);
        assert_eq!(json["schemaExtensions"][0]["schema"], urn::ENTERPRISE_USER);
        assert_eq!(json["schemaExtensions"][0]["required"], false);
    }
}
