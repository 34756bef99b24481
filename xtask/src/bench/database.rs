//! A fresh database for a run on PostgreSQL or MySQL/MariaDB: `--database-url`
//! names a server and a database the user may connect to; the task creates
//! a uniquely named database beside it (`scim_bench_<pid>_<time>`) with the
//! engine's own client (`psql`, or `mariadb`/`mysql`), points the server at
//! it, and drops it when the run ends. The named database is not touched.

use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

/// The database engines a URL may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Engine {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `mysql://` or `mariadb://`.
    MySql,
}

/// The parts of a database URL, `scheme://[user[:password]@]host[:port]/db[?query]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DbUrl {
    /// The engine.
    pub(crate) engine: Engine,
    /// The scheme as written.
    pub(crate) scheme: String,
    /// `user[:password]@` as written (percent-encoded), possibly empty.
    pub(crate) userinfo: String,
    /// The user, decoded.
    pub(crate) user: Option<String>,
    /// The password, decoded.
    pub(crate) password: Option<String>,
    /// The host.
    pub(crate) host: String,
    /// The port, if given.
    pub(crate) port: Option<u16>,
    /// The database.
    pub(crate) database: String,
    /// `?query` as written, possibly empty.
    pub(crate) query: String,
}

/// Parses a PostgreSQL or MySQL/MariaDB URL.
pub(crate) fn parse_url(url: &str) -> Result<DbUrl, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url:?} is not a database URL"))?;
    let engine = match scheme {
        "postgres" | "postgresql" => Engine::Postgres,
        "mysql" | "mariadb" => Engine::MySql,
        other => {
            return Err(format!(
                "--database-url takes postgres:// or mysql:// URLs, not {other}:// \
                 (SQLite is the default: a fresh temporary folder)"
            ));
        }
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, format!("?{q}")),
        None => (rest, String::new()),
    };
    let (authority, database) = rest
        .split_once('/')
        .ok_or_else(|| "the database URL names no database".to_owned())?;
    if database.is_empty() {
        return Err("the database URL names no database".to_owned());
    }
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, password) = match userinfo.split_once(':') {
        Some((u, p)) => (Some(decode(u)), Some(decode(p))),
        None if userinfo.is_empty() => (None, None),
        None => (Some(decode(userinfo)), None),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !hostport.starts_with('[') || h.ends_with(']') => (
            h.to_owned(),
            Some(p.parse().map_err(|_| format!("bad port {p:?}"))?),
        ),
        _ => (hostport.to_owned(), None),
    };
    Ok(DbUrl {
        engine,
        scheme: scheme.to_owned(),
        userinfo: if userinfo.is_empty() {
            String::new()
        } else {
            format!("{userinfo}@")
        },
        user,
        password,
        host: if host.is_empty() {
            "localhost".to_owned()
        } else {
            host
        },
        port,
        database: decode(database),
        query,
    })
}

impl DbUrl {
    /// The same URL naming `database` instead.
    pub(crate) fn with_database(&self, database: &str) -> String {
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        format!(
            "{}://{}{}{port}/{database}{}",
            self.scheme, self.userinfo, self.host, self.query
        )
    }

    /// The engine's client running `sql` against the URL's own database.
    fn client(&self, sql: &str) -> Command {
        let mut command;
        match self.engine {
            Engine::Postgres => {
                command = Command::new("psql");
                command.args(["-h", &self.host, "-d", &self.database]);
                command.args(["-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]);
                if let Some(port) = self.port {
                    command.args(["-p", &port.to_string()]);
                }
                if let Some(user) = &self.user {
                    command.args(["-U", user]);
                }
                if let Some(password) = &self.password {
                    command.env("PGPASSWORD", password);
                }
            }
            Engine::MySql => {
                let program = if which("mariadb") { "mariadb" } else { "mysql" };
                command = Command::new(program);
                command.args(["-h", &self.host, "-e", sql, &self.database]);
                if let Some(port) = self.port {
                    command.args(["-P", &port.to_string()]);
                }
                if let Some(user) = &self.user {
                    command.args(["-u", user]);
                }
                if let Some(password) = &self.password {
                    command.env("MYSQL_PWD", password);
                }
            }
        }
        command.stdin(Stdio::null());
        command
    }
}

fn which(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Decodes `%XX` escapes.
fn decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push(high * 16 + low);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A database created for one run; dropped with this value.
pub(crate) struct FreshDatabase {
    admin: DbUrl,
    name: String,
    /// The URL the server gets.
    pub(crate) url: String,
}

impl FreshDatabase {
    /// Creates a uniquely named database beside the one `url` names.
    pub(crate) fn create(url: &str) -> Result<FreshDatabase, String> {
        let admin = parse_url(url)?;
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let name = format!("scim_bench_{}_{secs}", std::process::id());
        let create = match admin.engine {
            Engine::Postgres => format!("CREATE DATABASE {name}"),
            Engine::MySql => format!("CREATE DATABASE {name} CHARACTER SET utf8mb4"),
        };
        let output = admin
            .client(&create)
            .output()
            .map_err(|e| format!("cannot run the database client (psql or mariadb): {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "cannot create database {name}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let url = admin.with_database(&name);
        Ok(FreshDatabase { admin, name, url })
    }

    /// The engine, for the report.
    pub(crate) fn engine(&self) -> Engine {
        self.admin.engine
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {}", self.name);
        let _ = self
            .admin
            .client(&drop)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_taken_apart_and_put_back_together() {
        let url =
            parse_url("postgres://scim:s%40cret@db.internal:5433/scim?sslmode=disable").unwrap();
        assert_eq!(url.engine, Engine::Postgres);
        assert_eq!(url.user.as_deref(), Some("scim"));
        assert_eq!(url.password.as_deref(), Some("s@cret"));
        assert_eq!(url.host, "db.internal");
        assert_eq!(url.port, Some(5433));
        assert_eq!(url.database, "scim");
        assert_eq!(
            url.with_database("scim_bench_1"),
            "postgres://scim:s%40cret@db.internal:5433/scim_bench_1?sslmode=disable"
        );

        let url = parse_url("mysql://root@127.0.0.1/scim_dev").unwrap();
        assert_eq!(url.engine, Engine::MySql);
        assert_eq!(
            (url.user.as_deref(), url.password.as_deref()),
            (Some("root"), None)
        );
        assert_eq!(url.port, None);
        assert_eq!(url.with_database("b"), "mysql://root@127.0.0.1/b");
    }

    #[test]
    fn other_urls_are_refused() {
        assert!(parse_url("sqlite://x.db").is_err());
        assert!(parse_url("postgres://host").is_err());
        assert!(parse_url("postgres://host/").is_err());
        assert!(parse_url("postgres://host:port/db").is_err());
        assert!(parse_url("not a url").is_err());
    }

    #[test]
    fn percent_escapes_are_decoded() {
        assert_eq!(decode("a%2Fb%40c"), "a/b@c");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(decode("%é1"), "%é1");
    }
}
