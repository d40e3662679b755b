//! A user's session ([`Session`]: the app, the token store, the refresh state), and renewing
//! its token set as one shared operation.
//!
//! * One refresh at a time per session and, with the store's lease, per fleet.
//! * Its outcome, success or failure, goes to every caller waiting for it.
//! * It runs as its own task, to its end whatever happens to the callers: a caller's future
//!   dropped (a timeout around a call) never loses a refresh token the server has rotated.
//! * After a failure, callers get that error at once for a short backoff instead of sending a
//!   refresh each.
//! * The refreshed set is saved by compare-and-set against the set the refresh started from;
//!   the loser of a race adopts the winner's set; on `invalid_grant` the store is read once
//!   more (another instance may have rotated the token) before giving up.
//! * When the store cannot take the refreshed set (an outage), the set is kept here and
//!   written as soon as the store answers again: nothing is lost.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use super::app::App;
use crate::error::{Error, Result};
use crate::tokens::{RefreshLease, Swap, TokenSet, TokenStore};

/// How long callers get a failed refresh's error at once, by default.
pub(crate) const DEFAULT_FAILURE_BACKOFF: Duration = Duration::from_secs(1);

/// After `invalid_grant`, how long the store is watched for another instance's new set.
const INVALID_GRANT_GRACE: Duration = Duration::from_millis(500);

/// How often a client waiting for another instance's refresh looks at the store.
const LEASE_POLL: Duration = Duration::from_millis(20);

type Outcome = Option<Result<TokenSet>>;

/// Why a session is refreshed: said by the refresh's span and events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefreshReason {
    /// The access token expires within the skew (or has expired).
    Expiring,
    /// The service answered 401 to the access token.
    Unauthorized,
    /// [`AuthenticationClient::refresh`](crate::AuthenticationClient::refresh) was called.
    Requested,
}

impl RefreshReason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Expiring => "expiring",
            Self::Unauthorized => "unauthorized",
            Self::Requested => "requested",
        }
    }

    /// Whether a set another instance saved must also be fresh to be adopted (a 401 says the
    /// set in hand is dead, however fresh it looks: any other set will do).
    fn need_fresh(self) -> bool {
        self != Self::Unauthorized
    }
}

/// One user's session: the app, the user's token store and the refresh state (shared by a
/// client's clones, and by the refresh task that outlives a caller).
pub(crate) struct Session {
    pub(crate) app: Arc<App>,
    pub(crate) store: Arc<dyn TokenStore>,
    slot: Mutex<Slot>,
    /// Whether a set or a lease waits for the store (`pending`, `unreleased`): read on every
    /// load without taking the lock.
    deferred: AtomicBool,
}

#[derive(Default)]
struct Slot {
    /// The refresh in flight: its outcome arrives here.
    flight: Option<watch::Receiver<Outcome>>,
    /// The last failure, given at once until `until` to callers holding the same set.
    failed: Option<Failed>,
    /// A refreshed set the store could not take (expected, new): written on the next load.
    pending: Option<(TokenSet, TokenSet)>,
    /// A lease the store could not take back: given back on the next load, so that the fleet
    /// need not wait for it to expire.
    unreleased: Option<RefreshLease>,
}

struct Failed {
    stale: TokenSet,
    error: Error,
    until: SystemTime,
}

impl Session {
    pub(crate) fn new(app: Arc<App>, store: Arc<dyn TokenStore>) -> Self {
        Self {
            app,
            store,
            slot: Mutex::default(),
            deferred: AtomicBool::new(false),
        }
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes what waits for the store (`pending`, `unreleased`), keeping `deferred` in step.
    fn update<R>(&self, change: impl FnOnce(&mut Slot) -> R) -> R {
        let mut slot = self.slot();
        let result = change(&mut slot);
        self.deferred.store(
            slot.pending.is_some() || slot.unreleased.is_some(),
            Ordering::Release,
        );
        result
    }
}

impl Session {
    /// The token set to use now: renewed first when it is due (see [`TokenSet::due`]).
    pub(crate) async fn fresh_tokens(self: &Arc<Self>) -> Result<TokenSet> {
        let tokens = self.load_tokens().await?.ok_or_else(|| {
            Error::Token("not signed in: sign in or set a token set first".into())
        })?;
        if !tokens.due(self.app.conn.now(), self.app.refresh_skew) {
            return Ok(tokens);
        }
        if tokens.refresh_token().is_none() {
            return if tokens.expires_within_at(self.app.conn.now(), Duration::ZERO) {
                Err(Error::Token(
                    "the access token has expired and there is no refresh token".into(),
                ))
            } else {
                Ok(tokens)
            };
        }
        self.shared_refresh(tokens, RefreshReason::Expiring).await
    }

    /// The store's token set, after writing a refreshed set it could not take before; while
    /// the store is down, that set stands in for it.
    pub(crate) async fn load_tokens(&self) -> Result<Option<TokenSet>> {
        if !self.deferred.load(Ordering::Acquire) {
            return Ok(self.store.load().await?);
        }
        let unreleased = self.update(|slot| slot.unreleased.take());
        if let Some(lease) = unreleased
            && let Err(e) = self.store.release_lease(lease.clone()).await
        {
            tracing::debug!(error = %e, "the refresh lease still cannot be given back");
            self.update(|slot| {
                slot.unreleased.get_or_insert(lease);
            });
        }
        let pending = self.slot().pending.clone();
        if let Some((expected, new)) = pending {
            match self
                .store
                .compare_and_set(&expected, new.clone(), None)
                .await
            {
                Ok(_) => self.update(|slot| {
                    if slot
                        .pending
                        .as_ref()
                        .is_some_and(|(_, p)| p.same_token_as(&new))
                    {
                        slot.pending = None;
                    }
                }),
                Err(e) => {
                    tracing::debug!(error = %e, "the token store still cannot take the refreshed set");
                    return Ok(Some(new));
                }
            }
        }
        Ok(self.store.load().await?)
    }

    /// Renews `stale` (or adopts a newer set), sharing one refresh among all callers.
    /// `need_fresh`: a replacement that is itself due is not good enough (false after a 401,
    /// where any other set is worth a try).
    pub(crate) async fn shared_refresh(
        self: &Arc<Self>,
        stale: TokenSet,
        reason: RefreshReason,
    ) -> Result<TokenSet> {
        let mut flight = {
            let mut slot = self.slot();
            if let Some(failed) = &slot.failed
                && failed.until > self.app.conn.now()
                && failed.stale.same_token_as(&stale)
            {
                return Err(failed.error.clone());
            }
            match &slot.flight {
                Some(flight) => flight.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    slot.flight = Some(rx.clone());
                    let session = Arc::clone(self);
                    // Its span's parent is the call that started it; `session` is the store's
                    // label (`TokenStore::label`).
                    let span = tracing::info_span!(
                        "genauth_refresh",
                        session = %self.store.label().unwrap_or_else(|| "-".into()),
                        reason = reason.as_str(),
                    );
                    let need_fresh = reason.need_fresh();
                    // Its own task: it runs to its end whatever happens to the callers.
                    let flight = async move {
                        tracing::info!("refreshing the session");
                        let outcome = session.refresh_flight(&stale, need_fresh).await;
                        match &outcome {
                            Ok(tokens) => tracing::info!(
                                expires_in_s = tokens
                                    .expires_at()
                                    .duration_since(session.app.conn.now())
                                    .map(|d| d.as_secs())
                                    .unwrap_or(0),
                                "session refreshed"
                            ),
                            Err(e) => tracing::warn!(error = %e, "session refresh failed"),
                        }
                        let mut slot = session.slot();
                        slot.flight = None;
                        slot.failed = outcome.as_ref().err().map(|error| Failed {
                            stale,
                            error: error.clone(),
                            until: {
                                let now = session.app.conn.now();
                                now.checked_add(session.app.refresh_backoff).unwrap_or(now)
                            },
                        });
                        drop(slot);
                        // Nobody may be waiting any more: the outcome is saved regardless.
                        let _ = tx.send(Some(outcome));
                    };
                    tokio::spawn(tracing::Instrument::instrument(flight, span));
                    rx
                }
            }
        };
        let waited = flight
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone());
        let outcome = match waited {
            Ok(outcome) => outcome,
            Err(_) => {
                // The task ended without an outcome (it panicked): let the next caller start
                // a new refresh.
                let mut slot = self.slot();
                if slot
                    .flight
                    .as_ref()
                    .is_some_and(|f| f.same_channel(&flight))
                {
                    slot.flight = None;
                }
                None
            }
        };
        outcome.unwrap_or_else(|| Err(Error::Token("the refresh ended without an outcome".into())))
    }

    /// The refresh itself (run once per flight): adopt a newer set if the store has one,
    /// otherwise take the store's lease (waiting for another holder's set meanwhile), refresh
    /// with the store's current refresh token, and save by compare-and-set.
    async fn refresh_flight(&self, stale: &TokenSet, need_fresh: bool) -> Result<TokenSet> {
        let skew = self.app.refresh_skew;
        let adoptable = |current: &TokenSet| {
            !current.same_token_as(stale)
                && (!need_fresh || !current.due(self.app.conn.now(), skew))
        };
        let not_signed_in =
            || Error::Token("signed out while the session was being refreshed".into());
        let ttl = self.app.lease_ttl;
        let started = Instant::now();
        let lease = loop {
            let current = self.load_tokens().await?.ok_or_else(not_signed_in)?;
            if adoptable(&current) {
                return Ok(current);
            }
            if let Some(lease) = self.store.try_lease(ttl).await? {
                break lease;
            }
            if started.elapsed() > ttl.saturating_mul(2) {
                return Err(Error::Token(
                    "another holder of the refresh lease saved no new token set in time".into(),
                ));
            }
            tokio::time::sleep(LEASE_POLL).await;
        };
        let outcome = self.refresh_under_lease(&lease, &adoptable).await;
        if let Err(e) = self.store.release_lease(lease.clone()).await {
            // It expires by itself; until then, it is given back on the next load.
            tracing::debug!(error = %e, "the refresh lease was not given back");
            self.update(|slot| slot.unreleased = Some(lease));
        }
        outcome
    }

    async fn refresh_under_lease(
        &self,
        lease: &RefreshLease,
        adoptable: &impl Fn(&TokenSet) -> bool,
    ) -> Result<TokenSet> {
        // Read again under the lease: the previous holder may have saved just now.
        let current = self.load_tokens().await?.ok_or_else(|| {
            Error::Token("signed out while the session was being refreshed".into())
        })?;
        if adoptable(&current) {
            return Ok(current);
        }
        let refreshed = match self.app.refresh_grant(&current).await {
            Ok(refreshed) => refreshed,
            Err(e) if e.oauth_error() == Some("invalid_grant") => {
                // Another instance may have rotated the refresh token: its answer may have
                // come at the same moment as this refusal, and its save just after. Read the
                // store again, for a short while, before giving up.
                let until = Instant::now() + INVALID_GRANT_GRACE;
                loop {
                    if let Ok(Some(newer)) = self.store.load().await
                        && !newer.same_token_as(&current)
                    {
                        return Ok(newer);
                    }
                    if Instant::now() >= until {
                        return Err(e);
                    }
                    tokio::time::sleep(LEASE_POLL).await;
                }
            }
            Err(e) => return Err(e),
        };
        match self
            .store
            .compare_and_set(&current, refreshed.clone(), Some(lease))
            .await
        {
            Ok(Swap::Saved) => Ok(refreshed),
            // The lease passed to another holder (this refresh outlived it) but nobody has
            // saved: the refresh token this one spent is dead, so its set must be the one kept.
            Ok(Swap::Conflict(Some(held))) if held.same_token_as(&current) => {
                match self
                    .store
                    .compare_and_set(&current, refreshed.clone(), None)
                    .await?
                {
                    Swap::Saved => Ok(refreshed),
                    Swap::Conflict(Some(winner)) => Ok(winner),
                    Swap::Conflict(None) => Err(Error::Token(
                        "signed out while the session was being refreshed".into(),
                    )),
                }
            }
            // Another instance saved first: its set is the store's; ours is dropped unused.
            Ok(Swap::Conflict(Some(winner))) => Ok(winner),
            Ok(Swap::Conflict(None)) => Err(Error::Token(
                "signed out while the session was being refreshed".into(),
            )),
            Err(e) => {
                // The server has rotated the refresh token: the new set must not be lost.
                tracing::warn!(error = %e, "the token store cannot take the refreshed set; kept until it can");
                let kept = (current, refreshed.clone());
                self.update(|slot| slot.pending = Some(kept));
                Ok(refreshed)
            }
        }
    }
}
