//! Configuration, read from environment variables only and validated once at start.

use std::{fmt, net::SocketAddr, path::PathBuf, time::Duration};

/// Everything the application reads from its environment.
#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    /// Public URL of the service, e.g. `https://boussole.example.gouv.fr`, without trailing slash.
    pub base_url: String,
    pub secure_cookies: bool,
    pub log_format: LogFormat,
    pub log_level: String,
    pub static_dir: PathBuf,
    pub request_timeout: Duration,
    pub statement_timeout: Duration,
    pub db_max_connections: u32,
    /// Whether to take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Requests per minute allowed to each API key, counted in the database so that every
    /// instance agrees.
    pub api_rate_limit: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Plain,
    Json,
}

/// A variable that is set to something we cannot use.
#[derive(Debug, thiserror::Error)]
#[error("invalid environment variable {name}: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads configuration through `lookup`, so that parsing can be tested without touching the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let database_url = get("DATABASE_URL").ok_or_else(|| ConfigError {
            name: "DATABASE_URL",
            reason: "is required, e.g. postgres://postgres@127.0.0.1:5432/boussole".into(),
        })?;
        if !database_url.starts_with("postgres://") && !database_url.starts_with("postgresql://") {
            return Err(ConfigError {
                name: "DATABASE_URL",
                reason: "must start with postgres:// or postgresql://".into(),
            });
        }
        let listen = parse(&get, "BOUSSOLE_LISTEN", "127.0.0.1:8080", |v| {
            v.parse::<SocketAddr>().map_err(|e| e.to_string())
        })?;
        let base_url = parse(&get, "BOUSSOLE_BASE_URL", "http://127.0.0.1:8080", |v| {
            let v = v.trim_end_matches('/');
            let rest = v
                .strip_prefix("https://")
                .or_else(|| v.strip_prefix("http://"))
                .ok_or("must start with http:// or https://")?;
            if rest.is_empty() || rest.contains('/') {
                return Err("must be an origin such as https://boussole.example.gouv.fr".into());
            }
            Ok(v.to_owned())
        })?;
        let secure_cookies = parse(&get, "BOUSSOLE_SECURE_COOKIES", "true", parse_bool)?;
        let log_format = parse(&get, "BOUSSOLE_LOG_FORMAT", "plain", |v| match v {
            "plain" => Ok(LogFormat::Plain),
            "json" => Ok(LogFormat::Json),
            _ => Err("must be plain or json".into()),
        })?;
        let log_level = get("BOUSSOLE_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_level).map_err(|e| ConfigError {
            name: "BOUSSOLE_LOG",
            reason: e.to_string(),
        })?;
        let static_dir =
            PathBuf::from(get("BOUSSOLE_STATIC_DIR").unwrap_or_else(|| "static".into()));
        let request_timeout = Duration::from_secs(parse(
            &get,
            "BOUSSOLE_REQUEST_TIMEOUT_SECS",
            "30",
            parse_positive,
        )?);
        let statement_timeout = Duration::from_secs(parse(
            &get,
            "BOUSSOLE_STATEMENT_TIMEOUT_SECS",
            "10",
            parse_positive,
        )?);
        let db_max_connections = u32::try_from(parse(
            &get,
            "BOUSSOLE_DB_MAX_CONNECTIONS",
            "10",
            parse_positive,
        )?)
        .map_err(|_| ConfigError {
            name: "BOUSSOLE_DB_MAX_CONNECTIONS",
            reason: "is too large".into(),
        })?;
        let trust_proxy = parse(&get, "BOUSSOLE_TRUST_PROXY", "false", parse_bool)?;
        let api_rate_limit = u32::try_from(parse(
            &get,
            "BOUSSOLE_API_RATE_LIMIT",
            "600",
            parse_positive,
        )?)
        .map_err(|_| ConfigError {
            name: "BOUSSOLE_API_RATE_LIMIT",
            reason: "is too large".into(),
        })?;
        Ok(Self {
            database_url,
            listen,
            base_url,
            secure_cookies,
            log_format,
            log_level,
            static_dir,
            request_timeout,
            statement_timeout,
            db_max_connections,
            trust_proxy,
            api_rate_limit,
        })
    }

    /// A configuration for tests and tools: local, insecure cookies, given database.
    pub fn local(database_url: &str) -> Self {
        Self {
            database_url: database_url.to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            base_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            log_format: LogFormat::Plain,
            log_level: "info".into(),
            static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/static")),
            request_timeout: Duration::from_secs(30),
            statement_timeout: Duration::from_secs(10),
            db_max_connections: 10,
            trust_proxy: false,
            api_rate_limit: 600,
        }
    }
}

fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
    parser: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    let value = get(name).unwrap_or_else(|| default.to_owned());
    parser(value.trim()).map_err(|reason| ConfigError { name, reason })
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("must be true or false".into()),
    }
}

fn parse_positive(value: &str) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("must be a positive whole number".into()),
    }
}

/// Never prints the database URL, which may carry a password.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &"[redacted]")
            .field("listen", &self.listen)
            .field("base_url", &self.base_url)
            .field("secure_cookies", &self.secure_cookies)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("static_dir", &self.static_dir)
            .field("request_timeout", &self.request_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("db_max_connections", &self.db_max_connections)
            .field("trust_proxy", &self.trust_proxy)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_only_the_database_is_given() {
        let c = config(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert!(c.secure_cookies);
        assert_eq!(c.log_format, LogFormat::Plain);
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_LISTEN", "nowhere"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_LISTEN");
        let err = config(&[]).unwrap_err();
        assert_eq!(err.name, "DATABASE_URL");
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_SECURE_COOKIES", "maybe"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_SECURE_COOKIES");
        let err = config(&[
            ("DATABASE_URL", "postgres://h/db"),
            ("BOUSSOLE_BASE_URL", "https://x/y"),
        ])
        .unwrap_err();
        assert_eq!(err.name, "BOUSSOLE_BASE_URL");
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let c = config(&[("DATABASE_URL", "postgres://u:secret@h/db")]).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(shown.contains(r#"database_url: "[redacted]""#), "{shown}");
    }
}
