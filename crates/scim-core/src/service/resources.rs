//! Create, read and delete of SCIM resources of one kind.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use scim_schema::{Mutability, Returned, SchemaDef, builtin};
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind};
use crate::model::{NewResource, ResourceKind, StoredResource, TenantId};
use crate::ports::{Clock, IdGenerator, ResourceStore};

/// The service for one resource kind (Users or Groups) of any tenant.
pub struct ResourceService {
    kind: ResourceKind,
    schema: SchemaDef,
    store: Arc<dyn ResourceStore>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl ResourceService {
    /// A service for `kind` over the given ports.
    pub fn new(
        kind: ResourceKind,
        store: Arc<dyn ResourceStore>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        let schema = match kind {
            ResourceKind::User => builtin::user(),
            ResourceKind::Group => builtin::group(),
        };
        ResourceService {
            kind,
            schema,
            store,
            clock,
            ids,
        }
    }

    /// The kind this service manages.
    pub fn kind(&self) -> ResourceKind {
        self.kind
    }

    /// Validates `body` and stores it as a new resource.
    ///
    /// Read-only attributes (`id`, `meta`, `groups`) are ignored, attribute
    /// names are normalised to their canonical case, and a `userName` that
    /// is taken case-insensitively among live users is
    /// [`ErrorKind::Uniqueness`].
    pub async fn create(&self, tenant: &TenantId, body: Value) -> Result<StoredResource, Error> {
        let attributes = self.normalise(body)?;
        let unique_key = self.unique_key(&attributes)?;
        let external_id = external_id(&attributes)?;
        let resource = NewResource {
            id: self.ids.new_id(),
            kind: self.kind,
            external_id,
            unique_key,
            attributes,
            created: self.clock.now(),
        };
        Ok(self.store.create(tenant, resource).await?)
    }

    /// Reads a live resource of the tenant. Unknown, deleted and other
    /// tenants' resources are all [`ErrorKind::NotFound`].
    pub async fn get(&self, tenant: &TenantId, id: &str) -> Result<StoredResource, Error> {
        self.store
            .get(tenant, self.kind, id)
            .await?
            .ok_or_else(|| self.not_found(id))
    }

    /// Deletes a live resource of the tenant, if its version equals
    /// `expected_version` when one is given.
    pub async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        expected_version: Option<u64>,
    ) -> Result<(), Error> {
        let at = self.clock.now();
        self.store
            .delete(tenant, self.kind, id, expected_version, at)
            .await
            .map_err(|err| match err {
                crate::ports::StoreError::NotFound => self.not_found(id),
                other => other.into(),
            })
    }

    fn not_found(&self, id: &str) -> Error {
        Error::new(
            ErrorKind::NotFound,
            format!("{} {id} not found", self.kind.as_str()),
        )
    }

    /// Checks the shape of a create body and returns the attributes to store.
    fn normalise(&self, body: Value) -> Result<Map<String, Value>, Error> {
        let Value::Object(input) = body else {
            return Err(Error::invalid_syntax(
                "the request body must be a JSON object",
            ));
        };
        let common = builtin::common_attributes();
        let mut out = Map::with_capacity(input.len());
        for (key, value) in input {
            if key.eq_ignore_ascii_case("schemas") {
                out.insert("schemas".to_owned(), self.check_schemas(value)?);
            } else if let Some(def) = common.iter().find(|a| a.name.eq_ignore_ascii_case(&key)) {
                // `id` and `meta` are assigned by the server; clients' values are ignored.
                if def.mutability != Mutability::ReadOnly {
                    out.insert(def.name.clone(), value);
                }
            } else if let Some(def) = self.schema.attribute(&key) {
                let stored = def.mutability != Mutability::ReadOnly
                    && !(def.mutability == Mutability::WriteOnly
                        && def.returned == Returned::Never);
                if stored {
                    out.insert(def.name.clone(), value);
                }
            } else {
                out.insert(key, value);
            }
        }
        out.entry("schemas")
            .or_insert_with(|| Value::Array(vec![Value::String(self.kind.schema().to_owned())]));
        Ok(out)
    }

    fn check_schemas(&self, value: Value) -> Result<Value, Error> {
        let Value::Array(items) = &value else {
            return Err(Error::invalid_syntax(
                "schemas must be an array of schema URNs",
            ));
        };
        let mut has_base = false;
        for item in items {
            let Value::String(uri) = item else {
                return Err(Error::invalid_syntax(
                    "schemas must be an array of schema URNs",
                ));
            };
            has_base |= uri.eq_ignore_ascii_case(self.kind.schema());
        }
        if !has_base {
            return Err(Error::invalid_value(format!(
                "schemas must contain {}",
                self.kind.schema()
            )));
        }
        Ok(value)
    }

    fn unique_key(&self, attributes: &Map<String, Value>) -> Result<Option<String>, Error> {
        let Some(name) = self.kind.unique_attribute() else {
            return Ok(None);
        };
        match attributes.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.to_lowercase())),
            Some(Value::String(_)) | Some(Value::Null) | None => {
                Err(Error::invalid_value(format!("{name} is required")))
            }
            Some(_) => Err(Error::invalid_value(format!("{name} must be a string"))),
        }
    }
}

fn external_id(attributes: &Map<String, Value>) -> Result<Option<String>, Error> {
    match attributes.get("externalId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Error::invalid_value("externalId must be a string")),
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The JSON representation of a stored resource, with `id` and `meta`.
/// `location` is the resource's absolute URL, which only the caller knows.
pub fn render(resource: &StoredResource, location: Option<String>) -> Value {
    let mut out = resource.attributes.clone();
    out.insert("id".to_owned(), Value::String(resource.id.clone()));
    let mut meta = Map::with_capacity(5);
    meta.insert(
        "resourceType".to_owned(),
        Value::String(resource.kind.as_str().to_owned()),
    );
    meta.insert(
        "created".to_owned(),
        Value::String(timestamp(resource.created)),
    );
    meta.insert(
        "lastModified".to_owned(),
        Value::String(timestamp(resource.last_modified)),
    );
    if let Some(location) = location {
        meta.insert("location".to_owned(), Value::String(location));
    }
    meta.insert("version".to_owned(), Value::String(resource.etag()));
    out.insert("meta".to_owned(), Value::Object(meta));
    if !out.contains_key("schemas") {
        out.insert(
            "schemas".to_owned(),
            Value::Array(vec![Value::String(resource.kind.schema().to_owned())]),
        );
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests;
