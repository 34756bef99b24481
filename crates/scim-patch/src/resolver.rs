//! Attribute resolution over a [`ResourceType`], for `scim-filter`.

use scim_filter::{AttributeResolver, ResolvedAttribute};
use scim_schema::{AttributeDef, ResourceType, SchemaDef};

/// Resolves attribute names against a resource type, with the rules of
/// [`scim_filter::Schemas`]: case-insensitively; a name without URN prefix
/// is looked up in the common attributes, the base schema, then the
/// extensions in order; a base-schema URN prefix finds base or common
/// attributes; an extension URN prefix finds that extension's attributes.
///
/// It borrows the resource type, so `scim-filter` can evaluate value
/// filters without a copy of the schemas.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Resolver<'a>(pub(crate) &'a ResourceType);

impl<'a> Resolver<'a> {
    /// The extension URN holding the attribute (`None` for a top-level
    /// member of the resource) and its definition.
    pub(crate) fn lookup(
        self,
        schema: Option<&str>,
        name: &str,
    ) -> Option<(Option<&'a str>, &'a AttributeDef)> {
        let rt = self.0;
        let common = || {
            rt.common_attributes()
                .iter()
                .find(|a| a.name.eq_ignore_ascii_case(name))
        };
        let in_extension = |ext: &'a SchemaDef| {
            ext.attribute(name)
                .map(|attribute| (Some(ext.id.as_str()), attribute))
        };
        match schema {
            None => common()
                .or_else(|| rt.schema.attribute(name))
                .map(|a| (None, a))
                .or_else(|| rt.extensions.iter().find_map(|e| in_extension(&e.schema))),
            Some(urn) if urn.eq_ignore_ascii_case(&rt.schema.id) => {
                rt.schema.attribute(name).or_else(common).map(|a| (None, a))
            }
            Some(urn) => rt.extension(urn).and_then(|e| in_extension(&e.schema)),
        }
    }
}

impl AttributeResolver for Resolver<'_> {
    fn resolve(&self, schema: Option<&str>, name: &str) -> Option<ResolvedAttribute<'_>> {
        self.lookup(schema, name)
            .map(|(extension, attribute)| ResolvedAttribute {
                extension,
                attribute,
            })
    }
}
