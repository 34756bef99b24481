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

    /// A resource type from its `/ResourceTypes` document (RFC 7643 §6),
    /// with its base schema and extensions taken from `schemas` by id.
    ///
    /// The name and the endpoint's one path segment are letters, digits,
    /// `-` and `_` (at most 64); the schemas must be known, each at most
    /// once, and must pass [`SchemaDef::check`]. A base schema cannot
    /// redefine the common attributes (`id`, `externalId`, `meta`,
    /// `schemas`). Returns what is wrong.
    pub fn from_definition(
        definition: &ResourceTypeDef,
        schemas: &[SchemaDef],
    ) -> Result<ResourceType, String> {
        let simple = |s: &str| {
            !s.is_empty()
                && s.len() <= 64
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        let name = &definition.name;
        if !simple(name) {
            return Err(format!(
                "resource type name {name:?}: use 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        let endpoint = &definition.endpoint;
        if !endpoint.strip_prefix('/').is_some_and(simple) {
            return Err(format!(
                "{name}: endpoint {endpoint:?} must be '/' then 1 to 64 letters, digits, '-' or '_'"
            ));
        }
        let schema = |id: &str| -> Result<SchemaDef, String> {
            let found = schemas
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| format!("{name}: no schema {id} is defined"))?;
            found.check()?;
            Ok(found.clone())
        };
        let base = schema(&definition.schema)?;
        let common = builtin::common_attributes();
        if let Some(clash) = base
            .attributes
            .iter()
            .find(|a| common.iter().any(|c| c.name.eq_ignore_ascii_case(&a.name)))
        {
            return Err(format!(
                "{name}: {} is a common attribute of every resource and cannot be redefined",
                clash.name
            ));
        }
        let mut resource_type = ResourceType::new(name.clone(), endpoint.clone(), base);
        resource_type.description = definition.description.clone();
        for extension in &definition.schema_extensions {
            if resource_type.knows_schema(&extension.schema) {
                return Err(format!(
                    "{name}: schema {} is named twice",
                    extension.schema
                ));
            }
            resource_type =
                resource_type.with_extension(schema(&extension.schema)?, extension.required);
        }
        Ok(resource_type)
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

    fn device_schemas() -> Vec<SchemaDef> {
        serde_json::from_value(serde_json::json!([
            {"id": "urn:example:scim:schemas:core:2.0:Device", "name": "Device", "attributes": [
                {"name": "serial", "type": "string", "required": true, "uniqueness": "server"},
                {"name": "owner", "type": "complex", "subAttributes": [
                    {"name": "value", "type": "string"}]}]},
            {"id": "urn:example:scim:schemas:extension:lease:2.0:Device", "name": "Lease",
             "attributes": [{"name": "until", "type": "dateTime"}]}
        ]))
        .unwrap()
    }

    fn device_definition() -> ResourceTypeDef {
        serde_json::from_value(serde_json::json!({
            "name": "Device", "endpoint": "/Devices",
            "schema": "urn:example:scim:schemas:core:2.0:Device",
            "schemaExtensions": [
                {"schema": "urn:example:scim:schemas:extension:lease:2.0:Device", "required": true}]
        }))
        .unwrap()
    }

    #[test]
    fn a_configured_type_is_built_from_its_document_and_schemas() {
        let devices =
            ResourceType::from_definition(&device_definition(), &device_schemas()).unwrap();
        assert_eq!(devices.endpoint, "/Devices");
        assert_eq!(devices.find("owner.value").unwrap().1.name, "value");
        assert!(
            devices
                .extension("urn:example:scim:schemas:extension:lease:2.0:Device")
                .unwrap()
                .required
        );
        // The document it publishes is the one it was built from.
        let published = devices.definition();
        assert_eq!(published.schema, device_definition().schema);
        assert_eq!(
            published.schema_extensions,
            device_definition().schema_extensions
        );
    }

    #[test]
    fn bad_documents_and_schemas_are_refused_with_the_reason() {
        let schemas = device_schemas();
        let with = |change: &dyn Fn(&mut ResourceTypeDef)| {
            let mut def = device_definition();
            change(&mut def);
            ResourceType::from_definition(&def, &schemas).unwrap_err()
        };
        assert!(with(&|d| d.name = "Dev ice".into()).contains("resource type name"));
        assert!(with(&|d| d.endpoint = "Devices".into()).contains("endpoint"));
        assert!(with(&|d| d.endpoint = "/a/b".into()).contains("endpoint"));
        assert!(with(&|d| d.schema = "urn:nope".into()).contains("no schema urn:nope"));
        assert!(
            with(&|d| d.schema_extensions[0].schema = d.schema.clone()).contains("named twice")
        );
        let mut clashing = schemas.clone();
        clashing[0]
            .attributes
            .push(AttributeDef::new("ID", crate::AttributeType::String));
        let err = ResourceType::from_definition(&device_definition(), &clashing).unwrap_err();
        assert!(err.contains("common attribute"), "{err}");
    }

    #[test]
    fn schema_checks_name_the_fault() {
        let mut schema = device_schemas().remove(0);
        assert_eq!(schema.check(), Ok(()));
        schema.attributes[1].sub_attributes[0].ty = crate::AttributeType::Complex;
        assert!(schema.check().unwrap_err().contains("cannot be complex"));
        let mut schema = device_schemas().remove(0);
        schema
            .attributes
            .push(AttributeDef::new("SERIAL", crate::AttributeType::String));
        assert!(schema.check().unwrap_err().contains("defined twice"));
        let mut schema = device_schemas().remove(0);
        schema.attributes[0].name = "1serial".into();
        assert!(
            schema
                .check()
                .unwrap_err()
                .contains("not an attribute name")
        );
        let mut schema = device_schemas().remove(0);
        schema.attributes[0]
            .sub_attributes
            .push(AttributeDef::new("x", crate::AttributeType::String));
        assert!(schema.check().unwrap_err().contains("only complex"));
        let mut schema = device_schemas().remove(0);
        schema.id = "Device".into();
        assert!(schema.check().unwrap_err().contains("URN"));
    }
}
