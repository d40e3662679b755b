//! A Redis-backed [`TokenStore`] for [genauth](https://docs.rs/genauth): the token sets of a
//! fleet's users in one Redis, so that every instance of a service sees a user's session, and
//! a fleet refreshes a session once.
//!
//! * Each session's token set is one key (`<prefix>{<session>}:tokens`), JSON, with an expiry.
//!   The session id is the key's hash tag, so that a session's keys live in one slot of a
//!   Redis Cluster and its scripts run there.
//! * A refreshed set is saved by compare-and-set, atomic in Redis (a Lua script compares the
//!   stored set's access token with the one the refresh started from).
//! * The refresh lease is a key of its own (`<prefix>{<session>}:lease`), taken with
//!   `SET NX PX`; its random fencing token is checked by the compare-and-set script, so a
//!   holder whose lease expired cannot overwrite its successor's set, and released only by
//!   its holder.
//! * One connection for every session: a [`redis::aio::ConnectionManager`] to one Redis, or
//!   redis-rs's cluster connection to a Redis Cluster ([`RedisTokenStores::cluster_builder`],
//!   or a `redis+cluster://host:port,host:port` URL), which follows MOVED and ASK and finds the
//!   new master after a failover. Either multiplexes the calls and reconnects by itself. A
//!   Redis that does not answer is a retryable [`StoreError`] (never "signed out"); the client
//!   keeps a set it refreshed meanwhile and writes it when Redis is back.
//! * With [`wait_for_replicas`](RedisTokenStoresBuilder::wait_for_replicas), a saved set is
//!   acknowledged by that many replicas (`WAIT`) before the save returns, so that a failover
//!   right after a refresh does not bring back the set whose refresh token was just spent.
//! * Sessions stored under the keys of genauth-redis before the hash tags
//!   (`<prefix>tokens:<session>`) are read once and moved to their new key on first load: users
//!   stay signed in across the upgrade.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use genauth::AuthenticationClient;
//! use genauth_redis::RedisTokenStores;
//!
//! let stores = RedisTokenStores::builder("redis://127.0.0.1:6379")
//!     .key_prefix("my-service:genauth:")
//!     .connect()
//!     .await?;
//! let app = AuthenticationClient::from_env().build()?;
//! // One client per user session, on the app's connection pool, its tokens in Redis.
//! let alice = app.with_token_store(Arc::new(stores.session("alice")?));
//! alice.sign_in_by_username_password("alice", "password").await?;
//! // Any instance that builds the same session sees alice signed in.
//! # Ok(()) }
//! ```
//!
//! Why `redis` (redis-rs): the maintained, widely used client, with a connection manager that
//! reconnects by itself, an async cluster client, Lua scripts that load once and run by hash,
//! and only the features this needs (`tokio-comp`, `connection-manager`, `script`,
//! `cluster-async`: no TLS or JSON module).
//! Why a crate of its own rather than a feature of genauth: a service that keeps its tokens
//! elsewhere builds neither Redis nor this.

#![warn(missing_docs)]

use std::fmt;
use std::time::Duration;

use genauth::{RefreshLease, StoreError, StoreFuture, Swap, TokenSet, TokenStore};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};

/// Saves a refreshed set only if the stored set has the expected access token and, with a
/// fencing token, only if the lease is still that one. Answers `+` (saved), `=<json>` (the
/// stored set, unchanged) or `-` (nothing stored). `cjson` is Redis's own Lua JSON library.
const COMPARE_AND_SET: &str = r#"
if ARGV[4] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[4] then
  local held = redis.call('GET', KEYS[1])
  if held then return '=' .. held end
  return '-'
end
local current = redis.call('GET', KEYS[1])
if not current then return '-' end
local ok, decoded = pcall(cjson.decode, current)
if ok and type(decoded) == 'table' and decoded['access_token'] == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return '+'
end
return '=' .. current
"#;

/// Deletes the lease only if it is still the caller's.
const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// The default key prefix.
pub const DEFAULT_KEY_PREFIX: &str = "genauth:";

/// How long a stored set lives by default after its last write: the refresh token's usual
/// lifetime is days to weeks; a session idle longer has to sign in again anyway.
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

/// Builds [`RedisTokenStores`].
pub struct RedisTokenStoresBuilder {
    /// One URL, or the cluster's seed nodes.
    nodes: Vec<String>,
    cluster: bool,
    wait_for_replicas: Option<(usize, Duration)>,
    key_prefix: String,
    key_ttl: Duration,
    connection_timeout: Duration,
    response_timeout: Duration,
    reconnect_attempts: usize,
}

impl fmt::Debug for RedisTokenStoresBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may carry a password: never shown.
        f.debug_struct("RedisTokenStoresBuilder")
            .field("cluster", &self.cluster)
            .field("key_prefix", &self.key_prefix)
            .field("key_ttl", &self.key_ttl)
            .field("connection_timeout", &self.connection_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStoresBuilder {
    /// The prefix of every key (default [`DEFAULT_KEY_PREFIX`]), e.g. to share a Redis between
    /// services.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// How long a stored set lives after its last write (default [`DEFAULT_KEY_TTL`]).
    pub fn key_ttl(mut self, ttl: Duration) -> Self {
        self.key_ttl = ttl;
        self
    }

    /// How long connecting may take (default 2 s).
    pub fn connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How long a command may take (default 1 s); past it the call fails with a retryable
    /// [`StoreError`].
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Reconnection attempts after the connection drops, each with a growing wait (default
    /// 3); calls made meanwhile fail with a retryable [`StoreError`], and a later call
    /// reconnects.
    pub fn reconnect_attempts(mut self, attempts: usize) -> Self {
        self.reconnect_attempts = attempts;
        self
    }

    /// After each save of a token set, wait until `replicas` replicas of its master have it
    /// (`WAIT`), at most `timeout` (default: no wait). A save that is not acknowledged in time
    /// still stands on the master; it is logged. Use it with replicas that may be promoted (a
    /// Redis Cluster, Sentinel): without it, a master lost right after a refresh may come back
    /// as a replica without the new set, and that session must sign in again.
    pub fn wait_for_replicas(mut self, replicas: usize, timeout: Duration) -> Self {
        self.wait_for_replicas = (replicas > 0).then_some((replicas, timeout));
        self
    }

    /// Connects (once: every session's store shares the connection).
    pub async fn connect(self) -> Result<RedisTokenStores, StoreError> {
        if self.key_ttl < Duration::from_secs(1) {
            return Err(StoreError::permanent(
                "key_ttl must be at least a second",
                None,
            ));
        }
        if self.key_prefix.contains(['{', '}']) {
            return Err(StoreError::permanent(
                "the key prefix must not contain '{' or '}': the session id is each key's hash tag",
                None,
            ));
        }
        let invalid = |e: redis::RedisError| {
            StoreError::permanent("the Redis URL is not valid", Some(Box::new(e)))
        };
        let connection = if self.cluster {
            let client = redis::cluster::ClusterClientBuilder::new(self.nodes.clone())
                .connection_timeout(self.connection_timeout)
                .response_timeout(self.response_timeout)
                .retries(self.reconnect_attempts as u32)
                .build()
                .map_err(invalid)?;
            Connection::Cluster(
                client
                    .get_async_connection()
                    .await
                    .map_err(|e| store_error("connecting to the Redis Cluster", e))?,
            )
        } else {
            let url = self.nodes.first().map(String::as_str).unwrap_or_default();
            let client = redis::Client::open(url).map_err(invalid)?;
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.connection_timeout))
                .set_response_timeout(Some(self.response_timeout))
                .set_number_of_retries(self.reconnect_attempts)
                .set_max_delay(Duration::from_secs(2));
            Connection::Single(
                ConnectionManager::new_with_config(client, config)
                    .await
                    .map_err(|e| store_error("connecting to Redis", e))?,
            )
        };
        Ok(RedisTokenStores {
            connection,
            wait_for_replicas: self.wait_for_replicas,
            key_prefix: self.key_prefix,
            key_ttl: self.key_ttl,
            compare_and_set: redis::Script::new(COMPARE_AND_SET),
            release: redis::Script::new(RELEASE),
        })
    }
}

/// One Redis connection for the token stores of every session; [`session`](Self::session)
/// gives a session's [`TokenStore`]. Cheap to clone.
#[derive(Clone)]
pub struct RedisTokenStores {
    connection: Connection,
    wait_for_replicas: Option<(usize, Duration)>,
    key_prefix: String,
    key_ttl: Duration,
    compare_and_set: redis::Script,
    release: redis::Script,
}

impl fmt::Debug for RedisTokenStores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStores")
            .field(
                "cluster",
                &matches!(self.connection, Connection::Cluster(_)),
            )
            .field("key_prefix", &self.key_prefix)
            .field("key_ttl", &self.key_ttl)
            .finish_non_exhaustive()
    }
}

impl RedisTokenStores {
    /// A builder for the Redis at `url` (`redis://[:password@]host:port[/db]`), or for a Redis
    /// Cluster given as `redis+cluster://[:password@]host:port,host:port,...` (its seed nodes:
    /// the others are discovered).
    pub fn builder(url: impl Into<String>) -> RedisTokenStoresBuilder {
        let url = url.into();
        match url.strip_prefix("redis+cluster://") {
            Some(rest) => {
                // The credentials, if any, go with every node.
                let (auth, hosts) = match rest.rsplit_once('@') {
                    Some((auth, hosts)) => (format!("{auth}@"), hosts),
                    None => (String::new(), rest),
                };
                let nodes: Vec<String> = hosts
                    .split(',')
                    .filter(|h| !h.trim().is_empty())
                    .map(|h| format!("redis://{auth}{}", h.trim()))
                    .collect();
                Self::cluster_builder(nodes)
            }
            None => Self::new_builder(vec![url], false),
        }
    }

    /// A builder for a Redis Cluster reached through `nodes` (`redis://host:port` each; one is
    /// enough, the others are discovered). MOVED and ASK redirections are followed, and the
    /// new master of a slot is found after a failover.
    pub fn cluster_builder<I, S>(nodes: I) -> RedisTokenStoresBuilder
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new_builder(nodes.into_iter().map(Into::into).collect(), true)
    }

    fn new_builder(nodes: Vec<String>, cluster: bool) -> RedisTokenStoresBuilder {
        RedisTokenStoresBuilder {
            nodes,
            cluster,
            wait_for_replicas: None,
            key_prefix: DEFAULT_KEY_PREFIX.into(),
            key_ttl: DEFAULT_KEY_TTL,
            connection_timeout: Duration::from_secs(2),
            response_timeout: Duration::from_secs(1),
            reconnect_attempts: 3,
        }
    }

    /// The token store of session `id` (a user id, a session id: whatever the service keys a
    /// user's session by). Refused when empty.
    pub fn session(&self, id: &str) -> Result<RedisTokenStore, StoreError> {
        if id.is_empty() {
            return Err(StoreError::permanent("the session id is empty", None));
        }
        Ok(RedisTokenStore {
            stores: self.clone(),
            session: id.to_string(),
            tokens_key: format!("{}{{{id}}}:tokens", self.key_prefix),
            lease_key: format!("{}{{{id}}}:lease", self.key_prefix),
            legacy_tokens_key: format!("{}tokens:{id}", self.key_prefix),
        })
    }
}

/// The token store of one session (see [`RedisTokenStores::session`]).
#[derive(Clone)]
pub struct RedisTokenStore {
    stores: RedisTokenStores,
    /// The session id, the store's label in logs.
    session: String,
    tokens_key: String,
    /// Where genauth-redis kept the set before the hash tags: read once, moved.
    legacy_tokens_key: String,
    lease_key: String,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("tokens_key", &self.tokens_key)
            .finish_non_exhaustive()
    }
}

/// A Redis failure as a [`StoreError`]: retryable when the connection or the time failed, or
/// the server said to try again (a cluster without a master for a slot during a failover:
/// `CLUSTERDOWN`, `TRYAGAIN`, `MASTERDOWN`, `LOADING`, a write that reached a demoted master);
/// not when Redis refused the command itself or the credentials.
fn store_error(what: &str, e: redis::RedisError) -> StoreError {
    use redis::{ErrorKind, RetryMethod};
    let message = format!("{what} failed");
    let transient = e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || (!matches!(e.kind(), ErrorKind::AuthenticationFailed | ErrorKind::Parse)
            && !matches!(e.retry_method(), RetryMethod::NoRetry));
    if transient {
        StoreError::retryable(message, Some(Box::new(e)))
    } else {
        StoreError::permanent(message, Some(Box::new(e)))
    }
}

fn decode(json: &str) -> Result<TokenSet, StoreError> {
    serde_json::from_str(json).map_err(|e| {
        // serde's message names the field, never the value.
        StoreError::permanent("the stored token set is not readable", Some(Box::new(e)))
    })
}

fn encode(tokens: &TokenSet) -> Result<String, StoreError> {
    serde_json::to_string(tokens)
        .map_err(|e| StoreError::permanent("the token set could not be encoded", Some(Box::new(e))))
}

/// `connected_slaves:<n>` of an `INFO replication` answer.
fn connected_replicas(info: &str) -> Option<usize> {
    info.lines()
        .find_map(|l| l.trim().strip_prefix("connected_slaves:"))
        .and_then(|n| n.trim().parse().ok())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RedisTokenStore {
    fn connection(&self) -> Connection {
        self.stores.connection.clone()
    }

    /// Runs `cmd` on the master of this session's slot (the node its writes went to).
    async fn on_master<T: redis::FromRedisValue>(&self, cmd: redis::Cmd) -> redis::RedisResult<T> {
        match self.connection() {
            Connection::Single(mut c) => cmd.query_async::<T>(&mut c).await,
            // WAIT and INFO name no key: routed to the master of the session's slot.
            Connection::Cluster(mut c) => c
                .route_command(
                    cmd,
                    RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::with_key(
                        &self.tokens_key,
                        SlotAddr::Master,
                    ))),
                )
                .await
                .and_then(|v| Ok(redis::from_redis_value::<T>(v)?)),
        }
    }

    /// Waits, if asked to, until the replicas have the token set just written.
    ///
    /// `WAIT` holds the connection it runs on (shared by every session of the process) until
    /// the replicas answer or the timeout passes. So the master's connected replicas are
    /// asked first (`INFO replication`), and a master with none (a replica just promoted
    /// after a failover, its old master gone) is not waited on: waiting there would stall
    /// every call of the process for the whole timeout at each save, and acknowledge
    /// nothing. Fewer replicas than asked: the wait is for those there are.
    async fn replicated(&self) {
        let Some((replicas, timeout)) = self.stores.wait_for_replicas else {
            return;
        };
        let mut info = redis::cmd("INFO");
        info.arg("replication");
        let connected = match self.on_master::<String>(info).await {
            Ok(info) => connected_replicas(&info),
            Err(e) => {
                tracing::warn!(session = %self.session, error = %e, "INFO replication failed");
                return;
            }
        };
        let wanted = match connected {
            Some(0) => {
                tracing::warn!(
                    session = %self.session,
                    wanted = replicas,
                    "the token set was saved on a master with no replica connected: not waited on"
                );
                return;
            }
            Some(n) => n.min(replicas),
            // An INFO without the field (a proxy's answer): wait as asked.
            None => replicas,
        };
        let mut wait = redis::cmd("WAIT");
        wait.arg(wanted).arg(millis(timeout));
        match self.on_master::<i64>(wait).await {
            Ok(n) if n >= replicas as i64 => {}
            Ok(n) => tracing::warn!(
                session = %self.session,
                acked = n,
                wanted = replicas,
                "the token set was saved, but fewer replicas than asked have it yet"
            ),
            Err(e) => {
                tracing::warn!(session = %self.session, error = %e, "WAIT for the replicas failed")
            }
        }
    }

    /// A set stored under the key of an earlier version, moved to today's key: `SET NX` (a set
    /// saved meanwhile under the new key wins), then the old key deleted.
    async fn migrate_legacy(&self) -> Result<Option<String>, StoreError> {
        let mut connection = self.connection();
        let legacy: Option<String> = redis::cmd("GET")
            .arg(&self.legacy_tokens_key)
            .query_async(&mut connection)
            .await
            .map_err(|e| store_error("reading the token set", e))?;
        let Some(legacy) = legacy else {
            return Ok(None);
        };
        let _: Option<String> = redis::cmd("SET")
            .arg(&self.tokens_key)
            .arg(&legacy)
            .arg("NX")
            .arg("PX")
            .arg(millis(self.stores.key_ttl))
            .query_async(&mut connection)
            .await
            .map_err(|e| store_error("moving the token set to its new key", e))?;
        let _: i64 = redis::cmd("DEL")
            .arg(&self.legacy_tokens_key)
            .query_async(&mut connection)
            .await
            .map_err(|e| store_error("deleting the token set's old key", e))?;
        redis::cmd("GET")
            .arg(&self.tokens_key)
            .query_async(&mut connection)
            .await
            .map_err(|e| store_error("reading the token set", e))
    }
}

/// The connection every session's store shares: to one Redis, or to a Redis Cluster.
#[derive(Clone)]
enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

impl TokenStore for RedisTokenStore {
    fn label(&self) -> Option<String> {
        Some(self.session.clone())
    }

    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        Box::pin(async move {
            let stored: Option<String> = redis::cmd("GET")
                .arg(&self.tokens_key)
                .query_async(&mut self.connection())
                .await
                .map_err(|e| store_error("reading the token set", e))?;
            let stored = match stored {
                Some(stored) => Some(stored),
                None => self.migrate_legacy().await?,
            };
            stored.as_deref().map(decode).transpose()
        })
    }

    fn save(&self, tokens: Option<TokenSet>) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            let mut connection = self.connection();
            match tokens {
                Some(tokens) => {
                    redis::cmd("SET")
                        .arg(&self.tokens_key)
                        .arg(encode(&tokens)?)
                        .arg("PX")
                        .arg(millis(self.stores.key_ttl))
                        .query_async::<()>(&mut connection)
                        .await
                        .map_err(|e| store_error("saving the token set", e))?;
                    self.replicated().await;
                    Ok(())
                }
                // Signing out also forgets a set under the old key.
                None => redis::cmd("DEL")
                    .arg(&self.tokens_key)
                    .arg(&self.legacy_tokens_key)
                    .query_async::<()>(&mut connection)
                    .await
                    .map_err(|e| store_error("deleting the token set", e)),
            }
        })
    }

    fn compare_and_set<'a>(
        &'a self,
        expected: &'a TokenSet,
        new: TokenSet,
        lease: Option<&'a RefreshLease>,
    ) -> StoreFuture<'a, Swap> {
        use genauth::ExposeSecret;
        Box::pin(async move {
            let answer: String = self
                .stores
                .compare_and_set
                .key(&self.tokens_key)
                .key(&self.lease_key)
                .arg(expected.access_token().expose_secret())
                .arg(encode(&new)?)
                .arg(millis(self.stores.key_ttl))
                .arg(lease.map(RefreshLease::fencing_token).unwrap_or_default())
                .invoke_async(&mut self.connection())
                .await
                .map_err(|e| store_error("saving the refreshed token set", e))?;
            match answer.split_at_checked(1) {
                Some(("+", _)) => {
                    self.replicated().await;
                    Ok(Swap::Saved)
                }
                Some(("=", held)) => Ok(Swap::Conflict(Some(decode(held)?))),
                Some(("-", _)) => Ok(Swap::Conflict(None)),
                _ => Err(StoreError::permanent(
                    "the compare-and-set script answered something unexpected",
                    None,
                )),
            }
        })
    }

    fn try_lease(&self, ttl: Duration) -> StoreFuture<'_, Option<RefreshLease>> {
        Box::pin(async move {
            let lease = RefreshLease::new();
            let taken: Option<String> = redis::cmd("SET")
                .arg(&self.lease_key)
                .arg(lease.fencing_token())
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut self.connection())
                .await
                .map_err(|e| store_error("taking the refresh lease", e))?;
            Ok(taken.map(|_| lease))
        })
    }

    fn release_lease(&self, lease: RefreshLease) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            self.stores
                .release
                .key(&self.lease_key)
                .arg(lease.fencing_token())
                .invoke_async::<i64>(&mut self.connection())
                .await
                .map(drop)
                .map_err(|e| store_error("releasing the refresh lease", e))
        })
    }
}

/// The crate README's example, compiled as a doctest so that it cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct CrateReadmeDoctests;

#[cfg(test)]
mod tests {
    use super::connected_replicas;

    #[test]
    fn connected_replicas_read_from_info_replication() {
        let info = "# Replication\r\nrole:master\r\nconnected_slaves:2\r\nslave0:ip=127.0.0.1,port=7001\r\n";
        assert_eq!(connected_replicas(info), Some(2));
        assert_eq!(
            connected_replicas("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"),
            Some(0)
        );
        assert_eq!(connected_replicas("role:master\r\n"), None);
        assert_eq!(connected_replicas("connected_slaves:many\r\n"), None);
    }
}
