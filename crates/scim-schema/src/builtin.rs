//! The built-in schemas of RFC 7643 §8.7.1 as data.
//!
//! Each function builds a fresh [`SchemaDef`]; callers that need them often
//! keep their own copy (the core's schema registry does).

use crate::attribute::{
    AttributeDef, AttributeType as T, Mutability, Returned, SchemaDef, Uniqueness,
};
use crate::urn;

/// Builder shorthands: schema definitions read close to the RFC's JSON.
impl AttributeDef {
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
    fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    fn unique(mut self, u: Uniqueness) -> Self {
        self.uniqueness = u;
        self
    }
    fn canonical(mut self, values: &[&str]) -> Self {
        self.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn refs(mut self, types: &[&str]) -> Self {
        self.reference_types = types.iter().map(|v| (*v).to_owned()).collect();
        self
    }
    fn subs(mut self, subs: Vec<AttributeDef>) -> Self {
        self.sub_attributes = subs;
        self
    }
    fn describe(mut self, text: &str) -> Self {
        self.description = text.to_owned();
        self
    }
}

fn s(name: &str) -> AttributeDef {
    AttributeDef::new(name, T::String)
}

fn b(name: &str) -> AttributeDef {
    AttributeDef::new(name, T::Boolean)
}

fn r(name: &str, types: &[&str]) -> AttributeDef {
    AttributeDef::new(name, T::Reference).refs(types)
}

fn c(name: &str, subs: Vec<AttributeDef>) -> AttributeDef {
    AttributeDef::new(name, T::Complex).subs(subs)
}

/// The `value`/`display`/`type`/`primary` shape shared by the multi-valued
/// attributes of the User schema.
fn multi(name: &str, value: AttributeDef, types: &[&str]) -> AttributeDef {
    c(
        name,
        vec![
            value,
            s("display"),
            s("type").canonical(types),
            b("primary"),
        ],
    )
    .multi()
}

/// The attributes common to every resource (RFC 7643 §3): `schemas`,
/// `id`, `externalId` and `meta`. They belong to no schema URN.
pub fn common_attributes() -> Vec<AttributeDef> {
    let ro = Mutability::ReadOnly;
    vec![
        r("schemas", &["uri"])
            .multi()
            .required()
            .returned(Returned::Always)
            .describe("The schema URNs the resource conforms to."),
        s("id")
            .case_exact()
            .mutability(ro)
            .returned(Returned::Always)
            .unique(Uniqueness::Server)
            .describe("Unique identifier for the resource, assigned by the service provider."),
        s("externalId")
            .case_exact()
            .describe("Identifier of the resource as defined by the provisioning client."),
        c(
            "meta",
            vec![
                s("resourceType").case_exact().mutability(ro),
                AttributeDef::new("created", T::DateTime).mutability(ro),
                AttributeDef::new("lastModified", T::DateTime).mutability(ro),
                r("location", &["uri"]).case_exact().mutability(ro),
                s("version").case_exact().mutability(ro),
            ],
        )
        .mutability(ro),
    ]
}

/// The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User`.
pub fn user() -> SchemaDef {
    let ro = Mutability::ReadOnly;
    SchemaDef {
        id: urn::USER.to_owned(),
        name: "User".to_owned(),
        description: "User Account".to_owned(),
        attributes: vec![
            s("userName").required().unique(Uniqueness::Server).describe(
                "Unique identifier for the User, typically used by the user to directly authenticate.",
            ),
            c(
                "name",
                vec![
                    s("formatted"),
                    s("familyName"),
                    s("givenName"),
                    s("middleName"),
                    s("honorificPrefix"),
                    s("honorificSuffix"),
                ],
            ),
            s("displayName"),
            s("nickName"),
            r("profileUrl", &["external"]),
            s("title"),
            s("userType"),
            s("preferredLanguage"),
            s("locale"),
            s("timezone"),
            b("active"),
            s("password")
                .mutability(Mutability::WriteOnly)
                .returned(Returned::Never),
            multi("emails", s("value"), &["work", "home", "other"]),
            multi(
                "phoneNumbers",
                s("value"),
                &["work", "home", "mobile", "fax", "pager", "other"],
            ),
            multi(
                "ims",
                s("value"),
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
            multi(
                "photos",
                r("value", &["external"]),
                &["photo", "thumbnail"],
            ),
            c(
                "addresses",
                vec![
                    s("formatted"),
                    s("streetAddress"),
                    s("locality"),
                    s("region"),
                    s("postalCode"),
                    s("country"),
                    s("type").canonical(&["work", "home", "other"]),
                    b("primary"),
                ],
            )
            .multi(),
            c(
                "groups",
                vec![
                    s("value").mutability(ro),
                    r("$ref", &["User", "Group"]).mutability(ro),
                    s("display").mutability(ro),
                    s("type").canonical(&["direct", "indirect"]).mutability(ro),
                ],
            )
            .multi()
            .mutability(ro),
            multi("entitlements", s("value"), &[]),
            multi("roles", s("value"), &[]),
            multi(
                "x509Certificates",
                AttributeDef::new("value", T::Binary),
                &[],
            ),
        ],
    }
}

/// The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group`.
pub fn group() -> SchemaDef {
    let im = Mutability::Immutable;
    SchemaDef {
        id: urn::GROUP.to_owned(),
        name: "Group".to_owned(),
        description: "Group".to_owned(),
        attributes: vec![
            // RFC 7643 §4.2 calls it REQUIRED (its §8.7.1 listing says
            // otherwise; the text wins, and every identity provider sends it).
            s("displayName")
                .required()
                .describe("A human-readable name for the Group."),
            c(
                "members",
                vec![
                    s("value").mutability(im),
                    r("$ref", &["User", "Group"]).mutability(im),
                    s("type").canonical(&["User", "Group"]).mutability(im),
                ],
            )
            .multi(),
        ],
    }
}

/// The Enterprise User extension,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
pub fn enterprise_user() -> SchemaDef {
    SchemaDef {
        id: urn::ENTERPRISE_USER.to_owned(),
        name: "EnterpriseUser".to_owned(),
        description: "Enterprise User".to_owned(),
        attributes: vec![
            s("employeeNumber"),
            s("costCenter"),
            s("organization"),
            s("division"),
            s("department"),
            c(
                "manager",
                vec![
                    s("value"),
                    r("$ref", &["User"]),
                    s("displayName").mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    }
}

/// The schema of `/ServiceProviderConfig` (RFC 7643 §5, §8.7.2),
/// `urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig`.
pub fn service_provider_config() -> SchemaDef {
    let ro = Mutability::ReadOnly;
    let supported = || b("supported").required().mutability(ro);
    let feature = |name: &str, text: &str, mut extra: Vec<AttributeDef>| {
        let mut subs = vec![supported()];
        subs.append(&mut extra);
        c(name, subs).required().mutability(ro).describe(text)
    };
    let int = |name: &str| {
        AttributeDef::new(name, T::Integer)
            .required()
            .mutability(ro)
    };
    SchemaDef {
        id: urn::SERVICE_PROVIDER_CONFIG.to_owned(),
        name: "Service Provider Configuration".to_owned(),
        description: "Schema for representing the service provider's configuration".to_owned(),
        attributes: vec![
            r("documentationUri", &["external"])
                .mutability(ro)
                .describe("An HTTP-addressable URL pointing to the service provider's help documentation."),
            feature("patch", "A complex type that specifies PATCH configuration options.", vec![]),
            feature(
                "bulk",
                "A complex type that specifies bulk configuration options.",
                vec![int("maxOperations"), int("maxPayloadSize")],
            ),
            feature(
                "filter",
                "A complex type that specifies FILTER options.",
                vec![int("maxResults")],
            ),
            feature(
                "changePassword",
                "A complex type that specifies configuration options related to changing a password.",
                vec![],
            ),
            feature("sort", "A complex type that specifies sort result options.", vec![]),
            feature("etag", "A complex type that specifies ETag configuration options.", vec![]),
            c(
                "authenticationSchemes",
                vec![
                    s("type")
                        .required()
                        .mutability(ro)
                        .canonical(&["oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"]),
                    s("name").required().mutability(ro),
                    s("description").required().mutability(ro),
                    r("specUri", &["external"]).mutability(ro),
                    r("documentationUri", &["external"]).mutability(ro),
                    b("primary").mutability(ro),
                ],
            )
            .multi()
            .required()
            .mutability(ro)
            .describe("A complex type that specifies supported authentication scheme properties."),
        ],
    }
}

/// The schema of `/ResourceTypes` entries (RFC 7643 §6, §8.7.2),
/// `urn:ietf:params:scim:schemas:core:2.0:ResourceType`.
pub fn resource_type() -> SchemaDef {
    let ro = Mutability::ReadOnly;
    SchemaDef {
        id: urn::RESOURCE_TYPE.to_owned(),
        name: "ResourceType".to_owned(),
        description: "Specifies the schema that describes a SCIM resource type".to_owned(),
        attributes: vec![
            s("id")
                .mutability(ro)
                .describe("The resource type's server unique id."),
            s("name")
                .required()
                .mutability(ro)
                .describe("The resource type name."),
            s("description")
                .mutability(ro)
                .describe("The resource type's human-readable description."),
            r("endpoint", &["uri"]).required().mutability(ro).describe(
                "The resource type's HTTP-addressable endpoint relative to the Base URL.",
            ),
            r("schema", &["uri"])
                .required()
                .case_exact()
                .mutability(ro)
                .describe("The resource type's primary/base schema URI."),
            c(
                "schemaExtensions",
                vec![
                    r("schema", &["uri"])
                        .required()
                        .case_exact()
                        .mutability(ro)
                        .describe("The URI of a schema extension."),
                    b("required")
                        .required()
                        .mutability(ro)
                        .describe("Whether resources must include this extension."),
                ],
            )
            .multi()
            .mutability(ro)
            .describe("A list of URIs of the resource type's schema extensions."),
        ],
    }
}

/// The schema of `/Schemas` entries (RFC 7643 §7, §8.7.2),
/// `urn:ietf:params:scim:schemas:core:2.0:Schema`.
pub fn schema() -> SchemaDef {
    let ro = Mutability::ReadOnly;
    // The characteristics of an attribute; `subAttributes` repeats them
    // one level down (RFC 7643 §7 allows no deeper nesting).
    let characteristics = || {
        vec![
            s("name").required().case_exact().mutability(ro),
            s("type").required().mutability(ro).canonical(&[
                "string",
                "complex",
                "boolean",
                "decimal",
                "integer",
                "dateTime",
                "reference",
                "binary",
            ]),
            b("multiValued").required().mutability(ro),
            s("description").mutability(ro),
            b("required").mutability(ro),
            s("canonicalValues").multi().mutability(ro),
            b("caseExact").mutability(ro),
            s("mutability").mutability(ro).canonical(&[
                "readOnly",
                "readWrite",
                "immutable",
                "writeOnly",
            ]),
            s("returned")
                .mutability(ro)
                .canonical(&["always", "never", "default", "request"]),
            s("uniqueness")
                .mutability(ro)
                .canonical(&["none", "server", "global"]),
            s("referenceTypes").multi().mutability(ro),
        ]
    };
    let mut attribute = characteristics();
    attribute.push(
        c("subAttributes", characteristics())
            .multi()
            .mutability(ro)
            .describe("The sub-attributes of a complex attribute."),
    );
    SchemaDef {
        id: urn::SCHEMA.to_owned(),
        name: "Schema".to_owned(),
        description: "Specifies the schema attribute and sub-attribute definitions".to_owned(),
        attributes: vec![
            s("id")
                .required()
                .mutability(ro)
                .describe("The unique URI of the schema."),
            s("name")
                .mutability(ro)
                .describe("The schema's human-readable name."),
            s("description")
                .mutability(ro)
                .describe("The schema's human-readable description."),
            c("attributes", attribute)
                .multi()
                .required()
                .mutability(ro)
                .describe("A complex attribute that includes the attributes of a schema."),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_name_is_required_unique_and_case_insensitive() {
        let user = user();
        let attr = user.attribute("username").unwrap();
        assert!(attr.required);
        assert!(!attr.case_exact);
        assert_eq!(attr.uniqueness, Uniqueness::Server);
    }

    #[test]
    fn password_is_never_returned() {
        let user = user();
        let attr = user.attribute("password").unwrap();
        assert_eq!(attr.returned, Returned::Never);
        assert_eq!(attr.mutability, Mutability::WriteOnly);
    }

    #[test]
    fn groups_and_its_sub_attributes_are_read_only() {
        let user = user();
        let groups = user.attribute("groups").unwrap();
        assert_eq!(groups.mutability, Mutability::ReadOnly);
        assert!(
            groups
                .sub_attributes
                .iter()
                .all(|a| a.mutability == Mutability::ReadOnly)
        );
    }

    #[test]
    fn multi_valued_attributes_carry_primary() {
        let user = user();
        for name in [
            "emails",
            "phoneNumbers",
            "ims",
            "photos",
            "addresses",
            "roles",
        ] {
            let attr = user.attribute(name).unwrap();
            assert!(attr.multi_valued, "{name}");
            assert!(attr.sub_attribute("primary").is_some(), "{name}");
        }
    }

    #[test]
    fn schemas_serialise_in_rfc_form() {
        let json = serde_json::to_value(enterprise_user()).unwrap();
        assert_eq!(json["id"], urn::ENTERPRISE_USER);
        let manager = &json["attributes"][5];
        assert_eq!(manager["name"], "manager");
        assert_eq!(manager["type"], "complex");
        assert_eq!(manager["subAttributes"][1]["name"], "$ref");
        assert_eq!(manager["subAttributes"][1]["referenceTypes"][0], "User");
    }

    #[test]
    fn service_provider_schemas_describe_their_documents() {
        let spc = service_provider_config();
        assert_eq!(spc.id, urn::SERVICE_PROVIDER_CONFIG);
        let bulk = spc.attribute("bulk").unwrap();
        assert!(bulk.required);
        assert_eq!(bulk.mutability, Mutability::ReadOnly);
        let max = bulk.sub_attribute("maxOperations").unwrap();
        assert_eq!(max.ty, T::Integer);
        let schemes = spc.attribute("authenticationSchemes").unwrap();
        assert!(schemes.multi_valued);
        assert!(
            schemes
                .sub_attribute("type")
                .unwrap()
                .canonical_values
                .contains(&"oauthbearertoken".to_owned())
        );

        let rt = resource_type();
        assert_eq!(rt.id, urn::RESOURCE_TYPE);
        let endpoint = rt.attribute("endpoint").unwrap();
        assert_eq!(endpoint.ty, T::Reference);
        assert!(endpoint.required);
        let ext = rt.attribute("schemaExtensions").unwrap();
        assert!(ext.multi_valued);
        assert!(ext.sub_attribute("required").unwrap().required);

        let schema = schema();
        assert_eq!(schema.id, urn::SCHEMA);
        let attributes = schema.attribute("attributes").unwrap();
        assert!(attributes.required && attributes.multi_valued);
        let subs = attributes.sub_attribute("subAttributes").unwrap();
        assert!(
            subs.sub_attribute("mutability")
                .unwrap()
                .canonical_values
                .contains(&"writeOnly".to_owned())
        );
        assert!(
            subs.sub_attribute("subAttributes").is_none(),
            "one level of nesting"
        );
    }

    #[test]
    fn every_builtin_schema_is_a_valid_schema_document() {
        // Each definition, serialised, reads back as itself: what /Schemas
        // serves is what the code uses.
        for def in [
            user(),
            group(),
            enterprise_user(),
            service_provider_config(),
            resource_type(),
            schema(),
        ] {
            let json = serde_json::to_value(&def).unwrap();
            let back: SchemaDef = serde_json::from_value(json).unwrap();
            assert_eq!(back, def);
        }
    }
}
