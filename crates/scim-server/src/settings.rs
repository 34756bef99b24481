//! Settings from flags and environment variables.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand, ValueEnum};
use scim_schema::{ResourceType, ResourceTypeDef, SchemaDef};

/// SCIM 2.0 provisioning server.
///
/// With no settings at all it serves on 127.0.0.1:8080 and stores its data
/// in an SQLite file under ./data. On first start it creates the `default`
/// tenant and prints its bearer token once.
#[derive(Debug, Parser)]
#[command(name = "scim-server", version, about, long_about)]
pub struct Cli {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Print machine-readable JSON instead of text (administration
    /// commands).
    #[arg(long, global = true)]
    pub json: bool,

    /// A TOML file of settings, named as the flags are without their
    /// dashes (`listen = "0.0.0.0:8080"`, `rate_limit_per_second = 50`).
    /// Flags win over environment variables, which win over the file.
    #[arg(long, global = true, env = "SCIM_CONFIG")]
    pub config: Option<PathBuf>,

    /// Where each setting came from: `flag`, `env`, `file` or `default`.
    #[arg(skip)]
    pub sources: std::collections::BTreeMap<String, &'static str>,

    /// The server settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// Subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the SCIM API (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Administer tenants (customer directories): create, list, show,
    /// update, delete.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Administer a tenant's bearer tokens: issue, list, revoke, rotate.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Administer a tenant's OAuth clients (client credentials grant):
    /// create, list, revoke.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Check the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Administer a tenant's webhooks: create, list, delete, disable,
    /// enable, attempts.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Print a tenant's provisioning events after a cursor, and the next
    /// cursor.
    Events(FeedArgs),
    /// Print a tenant's audit log (mutating SCIM requests) after a cursor,
    /// and the next cursor.
    Audit(FeedArgs),
    /// Permanently remove soft-deleted resources older than a number of
    /// days, and optionally old audit entries and delivered webhook
    /// attempts.
    Purge(PurgeArgs),
}

/// `scim-server webhook ...`: a tenant's webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum WebhookCommand {
    /// Subscribe a URL to the tenant's events and print the signing
    /// secret, once.
    Create {
        /// The tenant's name.
        tenant: String,
        /// Where batches of events are POSTed (http:// or https://).
        url: String,
        /// Deliver the events after this sequence (0: every stored event);
        /// default: only events written from now on.
        #[arg(long)]
        after: Option<u64>,
    },
    /// List the tenant's webhooks with their delivery state.
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Delete a webhook and its attempts.
    Delete {
        /// The tenant's name.
        tenant: String,
        /// The webhook id, as `webhook list` shows it.
        id: String,
    },
    /// Stop delivering to a webhook: its events wait, nothing is lost. A
    /// delivery under way finishes.
    Disable {
        /// The tenant's name.
        tenant: String,
        /// The webhook id, as `webhook list` shows it.
        id: String,
    },
    /// Deliver to a webhook again, at once: the events that waited while
    /// it was disabled (or failing) go out in order, from where delivery
    /// stopped; its failure count starts over.
    Enable {
        /// The tenant's name.
        tenant: String,
        /// The webhook id, as `webhook list` shows it.
        id: String,
    },
    /// Show a webhook's most recent delivery attempts, newest first.
    Attempts {
        /// The tenant's name.
        tenant: String,
        /// The webhook id, as `webhook list` shows it.
        id: String,
        /// How many attempts to show.
        #[arg(long, default_value_t = ATTEMPTS_PAGE, value_parser = clap::value_parser!(u64).range(1..=scim_core::MAX_ATTEMPT_PAGE))]
        limit: u64,
    },
}

/// `scim-server events|audit TENANT [--after N] [--limit N]`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct FeedArgs {
    /// The tenant's name.
    pub tenant: String,
    /// The cursor: print what comes after it (0: from the start).
    #[arg(long, default_value_t = 0)]
    pub after: u64,
    /// The most entries to print.
    #[arg(long, default_value_t = FEED_PAGE, value_parser = clap::value_parser!(u64).range(1..=scim_core::MAX_EVENT_PAGE.min(scim_core::MAX_AUDIT_PAGE)))]
    pub limit: u64,
}

/// How many events or audit entries a page holds when the reader does not
/// say (`events`, `audit` and the admin API's feeds).
pub(crate) const FEED_PAGE: u64 = 100;

/// How many of a webhook's attempts are shown when the reader does not say.
pub(crate) const ATTEMPTS_PAGE: u64 = 20;

/// `scim-server purge ...`.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct PurgeArgs {
    /// Only this tenant (default: every tenant).
    #[arg(long)]
    pub tenant: Option<String>,
    /// Remove resources deleted at least this many days ago.
    #[arg(long)]
    pub older_than_days: u32,
    /// Also remove audit entries older than this many days (default:
    /// keep the audit log).
    #[arg(long)]
    pub audit_older_than_days: Option<u32>,
    /// Also remove webhook attempts older than this many days whose
    /// events have been delivered since (default: keep them).
    #[arg(long)]
    pub attempts_older_than_days: Option<u32>,
}

/// `scim-server client ...`: a tenant's OAuth clients, which trade their
/// secret for short-lived access tokens at `POST /oauth/token`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ClientCommand {
    /// Create a client and print its id and secret, once.
    Create {
        /// The tenant's name.
        tenant: String,
        /// A label for the client, e.g. the identity provider's name.
        #[arg(long, default_value = "client")]
        name: String,
    },
    /// List a tenant's clients (never their secrets).
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Revoke a client: its secret and every access token issued to it
    /// stop working at once.
    Revoke {
        /// The tenant's name.
        tenant: String,
        /// The client id, as `client list` shows it.
        client_id: String,
    },
}

/// `scim-server tenant trust ...`: external token issuers whose JWTs
/// authenticate as the tenant.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TrustCommand {
    /// Trust JWTs with this issuer and audience, signed by a key of the
    /// given JWKS (a URL, fetched and cached, or a file stored as is).
    Add {
        /// The tenant's name.
        tenant: String,
        /// The exact `iss` claim of the tokens.
        #[arg(long)]
        issuer: String,
        /// The `aud` value the tokens must carry.
        #[arg(long)]
        audience: String,
        /// The issuer's JWKS URL (https://...).
        #[arg(
            long,
            conflicts_with = "jwks_file",
            required_unless_present = "jwks_file"
        )]
        jwks_url: Option<String>,
        /// A JWKS JSON file, stored with the trust (for issuers without a
        /// reachable JWKS URL). Replace the trust to rotate its keys.
        #[arg(long)]
        jwks_file: Option<PathBuf>,
    },
    /// List the issuers a tenant trusts.
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Stop trusting an issuer (every audience): its tokens stop working
    /// at once.
    Remove {
        /// The tenant's name.
        tenant: String,
        /// The issuer, as `tenant trust list` shows it.
        #[arg(long)]
        issuer: String,
    },
}

/// `scim-server config ...`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ConfigCommand {
    /// Check the settings (flags, environment, file) and the schema and
    /// resource type files they name, and print every setting with where
    /// it came from, secrets hidden. Exits with 2 when something is wrong.
    Check,
}

/// Why the command line could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// What clap reports (including `--help` and `--version`, which are
    /// not failures): print it with [`clap::Error::exit`].
    Usage(clap::Error),
    /// The configuration file is unreadable or wrong.
    Config(anyhow::Error),
}

impl Cli {
    /// Reads flags, environment variables and the `--config` file, in that
    /// order of precedence.
    pub fn load() -> Result<Cli, LoadError> {
        Cli::load_from(std::env::args_os())
    }

    /// [`Cli::load`] with the given command line (the first item is the
    /// program name).
    pub fn load_from<I, T>(args: I) -> Result<Cli, LoadError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString>,
    {
        use clap::{CommandFactory, FromArgMatches, parser::ValueSource};
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let command = Cli::command();
        let matches = command
            .clone()
            .try_get_matches_from(&args)
            .map_err(LoadError::Usage)?;
        let settings: Vec<&clap::Arg> = command
            .get_arguments()
            .filter(|a| a.get_long().is_some() && !NOT_SETTINGS.contains(&a.get_id().as_str()))
            .collect();
        let source = |id: &str| match matches.value_source(id) {
            Some(ValueSource::CommandLine) => Some("flag"),
            Some(ValueSource::EnvVariable) => Some("env"),
            _ => None,
        };
        let mut sources = std::collections::BTreeMap::new();
        let mut from_file: Vec<std::ffi::OsString> = Vec::new();
        if let Some(path) = matches.get_one::<PathBuf>("config") {
            let table = read_config(path).map_err(LoadError::Config)?;
            for (key, value) in table {
                let id = key.replace('-', "_");
                let arg = settings
                    .iter()
                    .find(|a| {
                        a.get_id().as_str() == id
                            || a.get_long().is_some_and(|l| l.replace('-', "_") == id)
                    })
                    .ok_or_else(|| {
                        LoadError::Config(anyhow::anyhow!(
                            "{}: unknown setting {key:?}",
                            path.display()
                        ))
                    })?;
                let id = arg.get_id().as_str().to_owned();
                if source(&id).is_some() {
                    continue;
                }
                let long = arg.get_long().unwrap_or_default();
                let values = config_values(&value).ok_or_else(|| {
                    LoadError::Config(anyhow::anyhow!(
                        "{}: {key} must be a string, a number, a boolean or an array of them",
                        path.display()
                    ))
                })?;
                for v in values {
                    from_file.push(format!("--{long}={v}").into());
                }
                sources.insert(id, "file");
            }
        }
        let mut cli = if from_file.is_empty() {
            Cli::from_arg_matches(&matches).map_err(LoadError::Usage)?
        } else {
            // The file's settings go first, as flags of the top-level
            // command; those given on the command line or in the
            // environment were left out above, so nothing is given twice.
            let mut argv = args.clone();
            let rest = argv.split_off(1.min(argv.len()));
            argv.extend(from_file);
            argv.extend(rest);
            let matches = command.clone().try_get_matches_from(&argv).map_err(|e| {
                LoadError::Config(anyhow::anyhow!("in the configuration file: {e}"))
            })?;
            Cli::from_arg_matches(&matches).map_err(LoadError::Usage)?
        };
        for arg in &settings {
            let id = arg.get_id().as_str();
            let found = source(id)
                .or_else(|| sources.get(id).copied())
                .unwrap_or("default");
            sources.insert(id.to_owned(), found);
        }
        cli.sources = sources;
        Ok(cli)
    }
}

/// Top-level flags that are not server settings, and cannot be set in the
/// configuration file.
const NOT_SETTINGS: [&str; 4] = ["config", "json", "help", "version"];

fn read_config(path: &std::path::Path) -> anyhow::Result<toml::Table> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration file {}", path.display()))?;
    text.parse::<toml::Table>()
        .with_context(|| format!("{} is not valid TOML", path.display()))
}

/// A TOML value as the flag values it stands for.
fn config_values(value: &toml::Value) -> Option<Vec<String>> {
    let one = |v: &toml::Value| match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    };
    match value {
        toml::Value::Array(items) => items.iter().map(one).collect(),
        other => one(other).map(|v| vec![v]),
    }
}

/// `scim-server tenant ...`: tenants, in the configured database.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant and print its first bearer token, once.
    Create {
        /// The tenant's name: 1 to 64 characters among a-z, 0-9, '-', '_'
        /// and '.'.
        name: String,
        /// Days until the first token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        token_expires_in_days: Option<u32>,
    },
    /// List every tenant, oldest first.
    List,
    /// Show a tenant: its policies and how many tokens it has.
    Show {
        /// The tenant's name.
        name: String,
    },
    /// Change a tenant's provisioning policies; choices not given stay.
    Update {
        /// The tenant's name.
        name: String,
        /// What a create whose userName is taken answers.
        #[arg(long, value_enum)]
        duplicates: Option<DuplicatesArg>,
        /// Whether DELETE keeps records (soft) or removes them (hard).
        #[arg(long, value_enum)]
        delete_mode: Option<DeleteModeArg>,
        /// Whether unknown attributes are dropped (lenient) or refused (strict).
        #[arg(long, value_enum)]
        strictness: Option<StrictnessArg>,
        /// The identity provider that provisions the tenant: picks, among
        /// the answers the RFCs allow, the ones it documents (entra and
        /// okta: 204 for group PATCH; okta: 409 for any repeated create).
        #[arg(long, value_enum)]
        idp: Option<IdpArg>,
    },
    /// Schema extensions the tenant adds to a resource type, e.g. its own
    /// urn:example:...:User attributes.
    #[command(subcommand)]
    Extension(ExtensionCommand),
    /// External token issuers whose JWTs authenticate as the tenant.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Delete a tenant with ALL its data: tokens, users, groups, events.
    Delete {
        /// The tenant's name.
        name: String,
        /// Confirm the deletion; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
}

/// `scim-server tenant extension ...`: one tenant's schema extensions.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ExtensionCommand {
    /// Add a schema extension (a SCIM schema JSON file, RFC 7643 §7) to
    /// one of the tenant's resource types; it takes effect at once, on
    /// every replica. Adding a schema the tenant has replaces it.
    Add {
        /// The tenant's name.
        tenant: String,
        /// The schema JSON file.
        file: PathBuf,
        /// The resource type it extends, by name.
        #[arg(long, default_value = "User")]
        resource_type: String,
        /// Resources of the type must carry the extension.
        #[arg(long)]
        required: bool,
    },
    /// List the tenant's schema extensions.
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Remove a schema extension from the tenant. Stored values stay in
    /// the resources but are no longer returned, filtered or validated.
    Remove {
        /// The tenant's name.
        tenant: String,
        /// The schema id (URN).
        schema: String,
    },
}

/// `scim-server token ...`: a tenant's bearer tokens.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TokenCommand {
    /// Issue another token for a tenant and print it, once.
    Issue {
        /// The tenant's name.
        tenant: String,
        /// Days until the token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
    /// List a tenant's tokens (never the tokens themselves).
    List {
        /// The tenant's name.
        tenant: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        /// The tenant's name.
        tenant: String,
        /// The credential id, as `token list` shows it.
        credential_id: String,
    },
    /// Replace a token by a new one; the old one keeps working during a
    /// grace period, then stops.
    Rotate {
        /// The tenant's name.
        tenant: String,
        /// The credential id, as `token list` shows it.
        credential_id: String,
        /// Hours the old token keeps working (0: it stops at once).
        #[arg(long, default_value_t = 24)]
        grace_hours: u32,
        /// Days until the new token expires (default: never).
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
        expires_in_days: Option<u32>,
    },
}

/// `--duplicates`: a tenant's [`scim_core::DuplicatePolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DuplicatesArg {
    /// The same non-empty externalId is a retried create and gets the
    /// stored user; any other collision is 409 (the server's default).
    ReturnSameExternalId,
    /// Always 409 uniqueness.
    Conflict,
    /// Always answer with the stored user.
    ReturnExisting,
    /// Unset: use the server's default.
    Default,
}

/// `--delete-mode`: a tenant's [`scim_core::DeleteMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeleteModeArg {
    /// Keep deleted records, marked deleted (the server's default).
    Soft,
    /// Remove records at once.
    Hard,
    /// Unset: use the server's default.
    Default,
}

/// `--strictness`: a tenant's [`scim_schema::Strictness`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StrictnessArg {
    /// Drop unknown attributes (the server's default).
    Lenient,
    /// Refuse requests with unknown attributes (400 invalidSyntax).
    Strict,
    /// Unset: use the server's default.
    Default,
}

/// `--idp`: a tenant's [`scim_core::IdpProfile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IdpArg {
    /// No particular provider: the RFCs' preferred answers.
    Generic,
    /// Microsoft Entra ID.
    Entra,
    /// Okta.
    Okta,
    /// OneLogin.
    Onelogin,
    /// JumpCloud.
    Jumpcloud,
    /// PingOne.
    Pingone,
    /// Rippling.
    Rippling,
    /// Google Workspace.
    Google,
    /// Unset: generic.
    Default,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Everything the server can be told.
#[derive(Debug, Clone, clap::Args, serde::Serialize)]
pub struct Settings {
    /// Address and port to listen on.
    #[arg(
        long,
        global = true,
        env = "SCIM_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,

    /// Database URL: sqlite://PATH?mode=rwc, postgres://USER@HOST/DB or
    /// mysql://USER:PASSWORD@HOST/DB. Default: an SQLite file in the data folder.
    #[arg(long, global = true, env = "SCIM_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Folder for the embedded SQLite database; created if missing.
    #[arg(long, global = true, env = "SCIM_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Token the `default` tenant gets on first start instead of a generated
    /// one (for automation). Ignored once the tenant exists. Prefer the
    /// environment variable: flags show up in process listings.
    #[arg(long, env = "SCIM_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,

    /// Externally visible origin used in Location headers and meta.location,
    /// e.g. https://scim.example.com. Default: taken from the Host header.
    #[arg(long, global = true, env = "SCIM_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Path under which the SCIM endpoints are served.
    #[arg(
        long,
        global = true,
        env = "SCIM_BASE_PATH",
        default_value = "/scim/v2"
    )]
    pub base_path: String,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "SCIM_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Log format.
    #[arg(long, env = "SCIM_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Requests per second each tenant may make, sustained; 0 turns the
    /// limit off. Above it, requests answer 429 with Retry-After.
    #[arg(long, env = "SCIM_RATE_LIMIT_PER_SECOND", default_value_t = 100)]
    pub rate_limit_per_second: u32,

    /// Requests a tenant may make at once above the sustained rate.
    #[arg(long, env = "SCIM_RATE_LIMIT_BURST", default_value_t = 200)]
    pub rate_limit_burst: u32,

    /// Seconds a request may take before it is abandoned (503; its
    /// transaction rolls back).
    #[arg(long, env = "SCIM_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Minutes the OAuth access tokens of POST /oauth/token are valid
    /// (5 to 1440).
    #[arg(
        long,
        env = "SCIM_ACCESS_TOKEN_MINUTES",
        default_value_t = scim_core::DEFAULT_ACCESS_TOKEN_MINUTES,
        value_parser = clap::value_parser!(u32).range(
            i64::from(scim_core::MIN_ACCESS_TOKEN_MINUTES)..=i64::from(scim_core::MAX_ACCESS_TOKEN_MINUTES)
        )
    )]
    pub access_token_minutes: u32,

    /// The `iss` of this server's OAuth access tokens. Default: the public
    /// URL, else http:// and the listen address. Replicas must agree.
    #[arg(long, global = true, env = "SCIM_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,

    /// Seconds a trusted issuer's fetched JWKS is used before it is
    /// fetched again.
    #[arg(long, env = "SCIM_JWKS_CACHE_SECS", default_value_t = 600)]
    pub jwks_cache_secs: u64,

    /// Least seconds between two fetches of one JWKS URL: a token naming
    /// an unknown key id refetches at most this often.
    #[arg(long, env = "SCIM_JWKS_REFETCH_SECS", default_value_t = 30)]
    pub jwks_refetch_secs: u64,

    /// Requests served at once; more answer 503 with Retry-After.
    #[arg(long, env = "SCIM_MAX_CONCURRENT_REQUESTS", default_value_t = 512)]
    pub max_concurrent_requests: usize,

    /// Operations one /Bulk request may carry (advertised as
    /// bulk.maxOperations); more answer 413. 0 switches /Bulk off.
    #[arg(long, env = "SCIM_BULK_MAX_OPERATIONS", default_value_t = 1000)]
    pub bulk_max_operations: usize,

    /// Largest accepted /Bulk request body, in bytes (advertised as
    /// bulk.maxPayloadSize).
    #[arg(long, env = "SCIM_BULK_MAX_PAYLOAD_BYTES", default_value_t = 4 * 1024 * 1024)]
    pub bulk_max_payload_bytes: usize,

    /// SCIM schema JSON files (RFC 7643 §7) of extensions Users may carry,
    /// e.g. urn:example:params:scim:schemas:extension:acme:2.0:User.
    /// Repeat the flag, or separate paths with commas in the variable.
    #[arg(
        long = "user-extension",
        env = "SCIM_USER_EXTENSIONS",
        value_delimiter = ','
    )]
    pub user_extensions: Vec<PathBuf>,

    /// SCIM schema JSON files (RFC 7643 §7) for --resource-type: each holds
    /// one schema, an array of schemas or a ListResponse of them. Repeat
    /// the flag, or separate paths with commas in the variable.
    #[arg(long = "schema", env = "SCIM_SCHEMAS", value_delimiter = ',')]
    pub schema_files: Vec<PathBuf>,

    /// Resource type JSON files (RFC 7643 §6): each holds one resource type
    /// or an array of them, whose schemas come from --schema. A new name is
    /// a resource type served at its endpoint; `User` or `Group` adds its
    /// schemaExtensions to the built-in type.
    #[arg(
        long = "resource-type",
        env = "SCIM_RESOURCE_TYPES",
        value_delimiter = ','
    )]
    pub resource_type_files: Vec<PathBuf>,

    /// Client connections open at once; more wait until one closes.
    #[arg(long, env = "SCIM_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Seconds a client may take to send a request's headers, and may keep
    /// an idle connection open.
    #[arg(long, env = "SCIM_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,

    /// Token of the admin HTTP API (tenants and tokens over HTTP). Without
    /// it the admin API is off. Prefer the environment variable.
    #[arg(long, env = "SCIM_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// Address of a separate listener for the admin API, e.g. an internal
    /// interface. Default: the admin API is served under /admin on --listen.
    #[arg(long, env = "SCIM_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,

    /// Webhook deliveries this replica runs at once; 0 leaves delivery to
    /// other replicas.
    #[arg(long, env = "SCIM_WEBHOOK_WORKERS", default_value_t = 4)]
    pub webhook_workers: usize,

    /// Milliseconds between looks for due webhooks when none is due (and
    /// how soon a webhook with nothing to send is checked again).
    #[arg(long, env = "SCIM_WEBHOOK_POLL_MILLIS", default_value_t = 1000)]
    pub webhook_poll_millis: u64,

    /// Milliseconds an event waits before it is delivered, so that events
    /// of concurrent transactions are delivered in sequence without gaps.
    #[arg(long, env = "SCIM_WEBHOOK_SETTLE_MILLIS", default_value_t = 5000)]
    pub webhook_settle_millis: u64,

    /// Seconds a receiver has to answer a delivery.
    #[arg(long, env = "SCIM_WEBHOOK_TIMEOUT_SECS", default_value_t = 10)]
    pub webhook_timeout_secs: u64,

    /// Milliseconds before the first retry of a failed delivery; the delay
    /// doubles with each consecutive failure.
    #[arg(long, env = "SCIM_WEBHOOK_RETRY_BASE_MILLIS", default_value_t = 30_000)]
    pub webhook_retry_base_millis: u64,

    /// The longest delay between retries, in seconds.
    #[arg(long, env = "SCIM_WEBHOOK_RETRY_MAX_SECS", default_value_t = 3600)]
    pub webhook_retry_max_secs: u64,

    /// A PEM file of CA certificates trusted for https:// webhook
    /// receivers besides Mozilla's built-in roots, e.g. a private CA.
    #[arg(long, env = "SCIM_WEBHOOK_CA_FILE")]
    pub webhook_ca_file: Option<PathBuf>,
}

impl Settings {
    /// Settings as if the server were started with no flags and no
    /// environment, but storing in `data_dir` and listening on `listen`.
    pub fn with_defaults(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Self {
        Settings {
            listen,
            database_url: None,
            data_dir: data_dir.into(),
            bootstrap_token: None,
            public_url: None,
            base_path: "/scim/v2".to_owned(),
            max_body_bytes: 1024 * 1024,
            log_format: LogFormat::Text,
            rate_limit_per_second: 100,
            rate_limit_burst: 200,
            request_timeout_secs: 30,
            max_concurrent_requests: 512,
            access_token_minutes: scim_core::DEFAULT_ACCESS_TOKEN_MINUTES,
            oauth_issuer: None,
            jwks_cache_secs: 600,
            jwks_refetch_secs: 30,
            bulk_max_operations: 1000,
            bulk_max_payload_bytes: 4 * 1024 * 1024,
            user_extensions: Vec::new(),
            schema_files: Vec::new(),
            resource_type_files: Vec::new(),
            max_connections: 1024,
            header_read_timeout_secs: 10,
            admin_token: None,
            admin_listen: None,
            webhook_workers: 4,
            webhook_poll_millis: 1000,
            webhook_settle_millis: 5000,
            webhook_timeout_secs: 10,
            webhook_retry_base_millis: 30_000,
            webhook_retry_max_secs: 3600,
            webhook_ca_file: None,
        }
    }

    /// Checks settings that clap cannot check alone.
    pub fn validate(&mut self) -> anyhow::Result<()> {
        let trimmed = self.base_path.trim_end_matches('/');
        if !trimmed.is_empty() && !trimmed.starts_with('/') {
            bail!("--base-path must start with '/', got {:?}", self.base_path);
        }
        self.base_path = trimmed.to_owned();
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("--public-url must start with http:// or https://, got {url:?}");
        }
        if self.request_timeout_secs == 0 || self.max_concurrent_requests == 0 {
            bail!("--request-timeout-secs and --max-concurrent-requests must be at least 1");
        }
        if self.max_connections == 0 || self.header_read_timeout_secs == 0 {
            bail!("--max-connections and --header-read-timeout-secs must be at least 1");
        }
        if self.webhook_poll_millis == 0
            || self.webhook_timeout_secs == 0
            || self.webhook_retry_base_millis == 0
            || self.webhook_retry_max_secs == 0
        {
            bail!(
                "--webhook-poll-millis, --webhook-timeout-secs, --webhook-retry-base-millis \
                 and --webhook-retry-max-secs must be at least 1"
            );
        }
        if self.oauth_issuer.as_deref().is_some_and(str::is_empty) {
            bail!("--oauth-issuer must not be empty");
        }
        self.oauth()?;
        if self
            .bootstrap_token
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            bail!("SCIM_BOOTSTRAP_TOKEN is set but empty");
        }
        if let Some(token) = &self.admin_token
            && token.trim().chars().count() < 32
        {
            bail!("the admin token must be at least 32 characters: it guards every tenant");
        }
        if self.admin_listen.is_some() && self.admin_token.is_none() {
            bail!("--admin-listen needs --admin-token (SCIM_ADMIN_TOKEN)");
        }
        Ok(())
    }

    /// The `iss` of this server's access tokens: `oauth_issuer`, else the
    /// public URL, else `http://` and the listen address.
    pub fn issuer(&self) -> String {
        match (&self.oauth_issuer, &self.public_url) {
            (Some(issuer), _) => issuer.clone(),
            (None, Some(origin)) => origin.trim_end_matches('/').to_owned(),
            (None, None) => format!("http://{}", self.listen),
        }
    }

    /// The URL of the OAuth token endpoint, as clients reach it.
    pub fn token_endpoint(&self) -> String {
        self.token_endpoint_at(self.listen)
    }

    /// The token endpoint of a server listening on `addr`.
    pub(crate) fn token_endpoint_at(&self, addr: std::net::SocketAddr) -> String {
        format!("{}/oauth/token", self.origin(addr))
    }

    /// Where clients reach a server listening on `addr`: the public URL,
    /// else `http://` and the address (the bound one, once known, rather
    /// than a configured port 0).
    pub(crate) fn origin(&self, addr: std::net::SocketAddr) -> String {
        match &self.public_url {
            Some(origin) => origin.trim_end_matches('/').to_owned(),
            None => format!("http://{addr}"),
        }
    }

    /// The OAuth settings of the core.
    pub fn oauth(&self) -> anyhow::Result<scim_core::OAuthConfig> {
        let lifetime = scim_core::OAuthConfig::lifetime_minutes(self.access_token_minutes)
            .map_err(|e| anyhow::anyhow!("--access-token-minutes: {e}"))?;
        let seconds = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX));
        Ok(scim_core::OAuthConfig {
            issuer: self.issuer(),
            access_token_lifetime: lifetime,
            jwks_cache_ttl: seconds(self.jwks_cache_secs),
            jwks_refetch_interval: seconds(self.jwks_refetch_secs),
            ..scim_core::OAuthConfig::default()
        })
    }

    /// Each tenant's request budget, or `None` when the limit is off.
    pub fn rate_limit(&self) -> Option<scim_http::RateLimit> {
        let per_second = NonZeroU32::new(self.rate_limit_per_second)?;
        Some(scim_http::RateLimit {
            per_second,
            // A burst below the rate would throttle the rate itself.
            burst: NonZeroU32::new(self.rate_limit_burst.max(self.rate_limit_per_second))
                .unwrap_or(per_second),
        })
    }

    /// The resource types served: Users (the core schema, the Enterprise
    /// User extension and the extensions of `user_extensions`), Groups,
    /// then the types of `resource_type_files`, in order.
    pub fn resource_types(&self) -> anyhow::Result<Vec<ResourceType>> {
        let mut users = ResourceType::user();
        for path in &self.user_extensions {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the schema file {}", path.display()))?;
            let schema: SchemaDef = serde_json::from_str(&text).with_context(|| {
                format!("{} is not a SCIM schema (RFC 7643 §7)", path.display())
            })?;
            schema
                .check()
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            if users.knows_schema(&schema.id) {
                bail!(
                    "{}: the schema {} is defined twice",
                    path.display(),
                    schema.id
                );
            }
            users = users.with_extension(schema, false);
        }
        let mut types = vec![users, ResourceType::group()];
        let mut schemas: Vec<SchemaDef> = Vec::new();
        for path in &self.schema_files {
            for schema in read_documents::<SchemaDef>(path, "SCIM schema (RFC 7643 §7)")? {
                if schemas
                    .iter()
                    .any(|s| s.id.eq_ignore_ascii_case(&schema.id))
                {
                    bail!(
                        "{}: the schema {} is defined twice",
                        path.display(),
                        schema.id
                    );
                }
                schemas.push(schema);
            }
        }
        for path in &self.resource_type_files {
            let documents =
                read_documents::<ResourceTypeDef>(path, "SCIM resource type (RFC 7643 §6)")?;
            for definition in documents {
                add_resource_type(&mut types, &definition, &schemas)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            }
        }
        Ok(types)
    }

    /// How this replica delivers webhooks.
    pub fn delivery(&self) -> scim_core::DeliveryConfig {
        use std::time::Duration;
        let timeout = Duration::from_secs(self.webhook_timeout_secs);
        scim_core::DeliveryConfig {
            timeout,
            // Longer than any delivery, so that a lease never lapses under one.
            lease: timeout.saturating_mul(6).max(Duration::from_secs(60)),
            settle: Duration::from_millis(self.webhook_settle_millis),
            idle: Duration::from_millis(self.webhook_poll_millis),
            retry_base: Duration::from_millis(self.webhook_retry_base_millis),
            retry_max: Duration::from_secs(self.webhook_retry_max_secs),
            ..scim_core::DeliveryConfig::default()
        }
    }

    /// The database URL to connect to. Without one, the embedded SQLite
    /// file `scim.db` in the data folder, which is created if missing.
    pub fn database_url(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        std::fs::create_dir_all(&self.data_dir).with_context(|| {
            format!("cannot create the data folder {}", self.data_dir.display())
        })?;
        let dir = self.data_dir.canonicalize().with_context(|| {
            format!("cannot resolve the data folder {}", self.data_dir.display())
        })?;
        let file = dir.join("scim.db");
        let path = file
            .to_str()
            .with_context(|| format!("the data folder path is not UTF-8: {}", dir.display()))?;
        Ok(format!("sqlite://{path}?mode=rwc"))
    }

    /// The database URL with any password replaced, for messages.
    pub fn redacted_database_url(&self) -> String {
        match &self.database_url {
            None => format!("{}/scim.db", self.data_dir.display()),
            Some(url) => redact(url),
        }
    }
}

/// Replaces the password of `scheme://user:password@host/...` with `***`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

/// Endpoints the protocol reserves (RFC 7644 §3.2), which no configured
/// resource type may take.
const RESERVED_ENDPOINTS: [&str; 7] = [
    "/Users",
    "/Groups",
    "/Me",
    "/Bulk",
    "/Schemas",
    "/ResourceTypes",
    "/ServiceProviderConfig",
];

/// Adds a resource type document to `types`: a new type, or for `User`
/// and `Group`, their extensions.
fn add_resource_type(
    types: &mut Vec<ResourceType>,
    definition: &ResourceTypeDef,
    schemas: &[SchemaDef],
) -> Result<(), String> {
    let builtin = types
        .iter_mut()
        .take(2)
        .find(|t| t.name.eq_ignore_ascii_case(&definition.name));
    if let Some(builtin) = builtin {
        if !definition.endpoint.eq_ignore_ascii_case(&builtin.endpoint)
            || !definition.schema.eq_ignore_ascii_case(&builtin.schema.id)
        {
            return Err(format!(
                "{} is built in: its endpoint is {} and its schema {}; only schemaExtensions can be added",
                builtin.name, builtin.endpoint, builtin.schema.id
            ));
        }
        for extension in &definition.schema_extensions {
            if builtin.knows_schema(&extension.schema) {
                return Err(format!(
                    "{}: schema {} is named twice",
                    builtin.name, extension.schema
                ));
            }
            let schema = schemas
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(&extension.schema))
                .ok_or_else(|| {
                    format!(
                        "{}: no schema {} is defined",
                        builtin.name, extension.schema
                    )
                })?;
            schema.check()?;
            *builtin = builtin
                .clone()
                .with_extension(schema.clone(), extension.required);
        }
        return Ok(());
    }
    let resource_type = ResourceType::from_definition(definition, schemas)?;
    if RESERVED_ENDPOINTS
        .iter()
        .any(|r| r.eq_ignore_ascii_case(&resource_type.endpoint))
    {
        return Err(format!(
            "{}: the endpoint {} is reserved by the protocol",
            resource_type.name, resource_type.endpoint
        ));
    }
    if let Some(other) = types.iter().find(|t| {
        t.name.eq_ignore_ascii_case(&resource_type.name)
            || t.endpoint.eq_ignore_ascii_case(&resource_type.endpoint)
    }) {
        return Err(format!(
            "{}: its name or endpoint is taken by the resource type {}",
            resource_type.name, other.name
        ));
    }
    types.push(resource_type);
    Ok(())
}

/// The documents of a JSON file holding one document, an array of them or
/// a ListResponse of them.
fn read_documents<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
) -> anyhow::Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(mut map) if map.contains_key("Resources") => {
            match map.remove("Resources") {
                Some(serde_json::Value::Array(items)) => items,
                _ => bail!("{}: Resources must be an array", path.display()),
            }
        }
        other => vec![other],
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            serde_json::from_value(item)
                .with_context(|| format!("{}: document {} is not a {what}", path.display(), i + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(
            redact("mysql://root:s3cret@127.0.0.1:3306/scim"),
            "mysql://root:***@127.0.0.1:3306/scim"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/scim"),
            "postgres://postgres@127.0.0.1/scim"
        );
        assert_eq!(redact("sqlite://data/scim.db"), "sqlite://data/scim.db");
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let cli = Cli::try_parse_from(["scim-server"]).unwrap();
        assert_eq!(cli.command, None);
        assert_eq!(cli.settings.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(cli.settings.data_dir, PathBuf::from("data"));
        assert_eq!(cli.settings.base_path, "/scim/v2");
    }

    #[test]
    fn admin_commands_take_the_storage_settings_before_or_after_them() {
        let cli = Cli::try_parse_from([
            "scim-server",
            "tenant",
            "update",
            "acme",
            "--delete-mode",
            "hard",
            "--idp",
            "okta",
            "--data-dir",
            "elsewhere",
            "--json",
        ])
        .unwrap();
        assert!(cli.json);
        assert_eq!(cli.settings.data_dir, PathBuf::from("elsewhere"));
        assert_eq!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Update {
                name: "acme".into(),
                duplicates: None,
                delete_mode: Some(DeleteModeArg::Hard),
                strictness: None,
                idp: Some(IdpArg::Okta),
            }))
        );
        let cli =
            Cli::try_parse_from(["scim-server", "--data-dir", "before", "tenant", "list"]).unwrap();
        assert_eq!(cli.settings.data_dir, PathBuf::from("before"));
        assert!(!cli.json);
        let cli = Cli::try_parse_from([
            "scim-server",
            "--database-url",
            "sqlite://x.db",
            "token",
            "rotate",
            "acme",
            "cred-1",
        ])
        .unwrap();
        assert_eq!(cli.settings.database_url.as_deref(), Some("sqlite://x.db"));
        assert_eq!(
            cli.command,
            Some(Command::Token(TokenCommand::Rotate {
                tenant: "acme".into(),
                credential_id: "cred-1".into(),
                grace_hours: 24,
                expires_in_days: None,
            }))
        );
        for refused in [
            &[
                "scim-server",
                "token",
                "issue",
                "acme",
                "--expires-in-days",
                "0",
            ][..],
            &[
                "scim-server",
                "tenant",
                "update",
                "acme",
                "--delete-mode",
                "later",
            ][..],
            &[
                "scim-server",
                "token",
                "rotate",
                "acme",
                "c",
                "--grace-hours",
                "-1",
            ][..],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn outbox_commands_parse_with_their_defaults_and_bounds() {
        let cli = Cli::try_parse_from([
            "scim-server",
            "webhook",
            "create",
            "acme",
            "http://hooks.internal/scim",
            "--after",
            "0",
            "--json",
        ])
        .unwrap();
        assert!(cli.json);
        assert_eq!(
            cli.command,
            Some(Command::Webhook(WebhookCommand::Create {
                tenant: "acme".into(),
                url: "http://hooks.internal/scim".into(),
                after: Some(0),
            }))
        );
        for (verb, expected) in [
            (
                "disable",
                WebhookCommand::Disable {
                    tenant: "acme".into(),
                    id: "w1".into(),
                },
            ),
            (
                "enable",
                WebhookCommand::Enable {
                    tenant: "acme".into(),
                    id: "w1".into(),
                },
            ),
        ] {
            let cli = Cli::try_parse_from(["scim-server", "webhook", verb, "acme", "w1"]).unwrap();
            assert_eq!(cli.command, Some(Command::Webhook(expected)));
        }
        let cli = Cli::try_parse_from(["scim-server", "events", "acme", "--after", "5"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Events(FeedArgs {
                tenant: "acme".into(),
                after: 5,
                limit: 100,
            }))
        );
        let cli = Cli::try_parse_from(["scim-server", "purge", "--older-than-days", "30"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Purge(PurgeArgs {
                tenant: None,
                older_than_days: 30,
                audit_older_than_days: None,
                attempts_older_than_days: None,
            }))
        );
        for refused in [
            &["scim-server", "audit", "acme", "--limit", "0"][..],
            &["scim-server", "events", "acme", "--limit", "1001"][..],
            &["scim-server", "purge"][..],
            &["scim-server", "webhook", "attempts", "acme"][..],
            &["scim-server", "webhook", "disable", "acme"][..],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
        let delivery = Settings::with_defaults("d", "127.0.0.1:0".parse().unwrap()).delivery();
        assert_eq!(delivery.retry_base, std::time::Duration::from_secs(30));
        assert_eq!(delivery.retry_max, std::time::Duration::from_secs(3600));
        assert!(delivery.lease > delivery.timeout);
    }

    #[test]
    fn oauth_commands_and_settings_parse_and_are_bounded() {
        let cli = Cli::try_parse_from([
            "scim-server",
            "tenant",
            "trust",
            "add",
            "acme",
            "--issuer",
            "https://sts.windows.net/t/",
            "--audience",
            "api://scim",
            "--jwks-url",
            "https://login.example.com/keys",
        ])
        .unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Tenant(TenantCommand::Trust(TrustCommand::Add {
                jwks_file: None,
                ..
            })))
        ));
        let cli =
            Cli::try_parse_from(["scim-server", "client", "create", "acme", "--name", "entra"])
                .unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Client(ClientCommand::Create {
                tenant: "acme".into(),
                name: "entra".into()
            }))
        );
        assert_eq!(cli.settings.access_token_minutes, 60);
        for refused in [
            &[
                "scim-server",
                "tenant",
                "trust",
                "add",
                "acme",
                "--issuer",
                "i",
                "--audience",
                "a",
            ][..],
            &[
                "scim-server",
                "tenant",
                "trust",
                "add",
                "acme",
                "--issuer",
                "i",
                "--audience",
                "a",
                "--jwks-url",
                "https://x/k",
                "--jwks-file",
                "k.json",
            ][..],
            &["scim-server", "--access-token-minutes", "4"][..],
            &["scim-server", "--access-token-minutes", "1441"][..],
        ] {
            assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
        }
        let mut s = Settings::with_defaults("d", "127.0.0.1:9000".parse().unwrap());
        assert_eq!(s.issuer(), "http://127.0.0.1:9000");
        assert_eq!(s.token_endpoint(), "http://127.0.0.1:9000/oauth/token");
        s.public_url = Some("https://scim.example.com/".into());
        assert_eq!(s.issuer(), "https://scim.example.com");
        assert_eq!(s.token_endpoint(), "https://scim.example.com/oauth/token");
        s.oauth_issuer = Some("urn:example:scim".into());
        assert_eq!(s.oauth().unwrap().issuer, "urn:example:scim");
        s.access_token_minutes = 1441;
        assert!(s.validate().is_err());
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off_and_bursts_cover_the_rate() {
        let mut s = Settings::with_defaults("d", "127.0.0.1:0".parse().unwrap());
        let limit = s.rate_limit().unwrap();
        assert_eq!((limit.per_second.get(), limit.burst.get()), (100, 200));
        s.rate_limit_burst = 5;
        assert_eq!(s.rate_limit().unwrap().burst.get(), 100);
        s.rate_limit_per_second = 0;
        assert_eq!(s.rate_limit(), None);
    }

    #[test]
    fn validation_normalises_and_rejects() {
        let mut s = Settings::with_defaults("d", "127.0.0.1:0".parse().unwrap());
        s.base_path = "/scim/v2/".into();
        s.validate().unwrap();
        assert_eq!(s.base_path, "/scim/v2");
        s.base_path = "scim".into();
        assert!(s.validate().is_err());
        s.base_path = "/scim".into();
        s.public_url = Some("scim.example.com".into());
        assert!(s.validate().is_err());
        s.public_url = None;
        s.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("--admin-listen needs --admin-token"), "{err}");
        s.admin_token = Some("short".into());
        let err = s.validate().unwrap_err().to_string();
        assert!(err.contains("at least 32 characters"), "{err}");
        s.admin_token = Some("a".repeat(32));
        s.validate().unwrap();
    }

    #[test]
    fn the_default_database_is_sqlite_in_the_data_folder_which_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested").join("data");
        let s = Settings::with_defaults(&data, "127.0.0.1:0".parse().unwrap());
        let url = s.database_url().unwrap();
        assert!(data.is_dir());
        assert!(url.starts_with("sqlite:///"), "{url}");
        assert!(url.ends_with("/nested/data/scim.db?mode=rwc"), "{url}");
    }

    fn config_file(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    fn load(args: &[&str]) -> Result<Cli, LoadError> {
        Cli::load_from(std::iter::once("scim-server").chain(args.iter().copied()))
    }

    #[test]
    fn the_config_file_sets_what_flags_leave_unset() {
        let file = config_file(
            "listen = \"0.0.0.0:9000\"\nrate-limit-per-second = 7\nbase_path = \"/x\"\n\
             user_extension = [\"a.json\", \"b.json\"]\n",
        );
        let path = file.path().to_str().unwrap();
        let cli = load(&["--config", path, "--base-path", "/flag", "tenant", "list"]).unwrap();
        assert_eq!(cli.settings.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(cli.settings.rate_limit_per_second, 7);
        assert_eq!(cli.settings.base_path, "/flag", "a flag wins over the file");
        assert_eq!(
            cli.settings.user_extensions,
            [PathBuf::from("a.json"), PathBuf::from("b.json")]
        );
        assert_eq!(cli.command, Some(Command::Tenant(TenantCommand::List)));
        assert_eq!(cli.sources["listen"], "file");
        assert_eq!(cli.sources["base_path"], "flag");
        assert_eq!(cli.sources["max_body_bytes"], "default");
    }

    #[test]
    fn config_file_mistakes_name_the_file_and_the_setting() {
        let err = |text: &str| {
            let file = config_file(text);
            match load(&["--config", file.path().to_str().unwrap()]) {
                Err(LoadError::Config(e)) => format!("{e:#}"),
                other => panic!("expected a configuration error, got {other:?}"),
            }
        };
        assert!(err("lisen = \"x\"").contains("unknown setting \"lisen\""));
        assert!(err("json = true").contains("unknown setting"));
        assert!(err("listen = ").contains("not valid TOML"));
        assert!(err("rate_limit_per_second = \"many\"").contains("rate-limit-per-second"));
        assert!(err("listen = { a = 1 }").contains("must be a string"));
        match load(&["--config", "/nonexistent/scim.toml"]) {
            Err(LoadError::Config(e)) => assert!(format!("{e:#}").contains("cannot read")),
            other => panic!("{other:?}"),
        }
    }
}
