//! The sandbox's data: users, pending SMS codes, the outbox, refresh and update-phone tokens.
//! Every rule that reads and writes it runs under one lock, so concurrent requests see a
//! consistent store (100 parallel binds of one phone: exactly one wins).

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::{Config, Limits, SocialCode, UserConfig};

/// One SMS the sandbox "sent" (an entry of `GET /__sandbox/outbox`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct SmsMessage {
    /// Country calling code, e.g. "+86".
    pub phone_country_code: String,
    /// National number.
    pub phone: String,
    /// Channel (V3, e.g. CHANNEL_BIND_PHONE) or type (social API, e.g. BIND_MOBILE_SMS).
    pub channel: String,
    /// The 6-digit code.
    pub code: String,
    /// When it was sent, ms since the epoch (sandbox clock).
    pub sent_at_ms: u64,
}

/// An external identity linked to a user.
#[derive(Debug, Clone)]
pub struct Identity {
    pub identity_id: String,
    pub ext_idp_id: String,
    pub provider: String,
    pub kind: String,
    pub user_id_in_idp: String,
}

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub phone_verified: bool,
    pub name: Option<String>,
    pub created_at_ms: u64,
    pub updated_at_ms: u64,
    pub logins_count: i64,
    pub last_login_ms: Option<u64>,
    pub identities: Vec<Identity>,
    pub custom_data: Map<String, Value>,
    /// The departments the user is a member of (`organizations.rs`).
    pub(crate) departments: Vec<crate::user_records::Membership>,
}

impl User {
    /// Ways to sign in other than the phone: a password with an account name, or an identity.
    pub fn has_login_method_besides_phone(&self) -> bool {
        let password_account =
            self.password.is_some() && (self.username.is_some() || self.email.is_some());
        password_account || !self.identities.is_empty()
    }
}

struct PendingCode {
    code: String,
    expires_at_ms: u64,
    attempts_left: u32,
}

/// A refresh token's grant.
#[derive(Debug, Clone)]
pub struct RefreshGrant {
    pub user_id: String,
    pub app_id: String,
    pub scope: String,
    pub expires_at_ms: u64,
    /// The sign-in this refresh token descends from (a session: its refreshes keep it).
    pub session: u64,
}

/// What the token endpoint saw of sessions, for `/__sandbox/stats`: refreshes per sign-in
/// session, and spent refresh tokens presented again.
#[derive(Debug, Default)]
pub struct RefreshStats {
    /// The last session number given.
    pub sessions: u64,
    /// Refreshes per session.
    pub refreshes: HashMap<u64, u64>,
    /// Refresh tokens already spent (one refresh each) → when they would have expired, to
    /// tell a reuse from a token never issued; pruned of expired ones as it grows.
    pub spent: HashMap<String, u64>,
    /// Spent refresh tokens presented again.
    pub reused: u64,
}

/// An updatePhoneToken's grant.
#[derive(Debug, Clone)]
pub struct UpdatePhoneGrant {
    pub user_id: String,
    pub phone_country_code: String,
    pub phone: String,
    pub expires_at_ms: u64,
}

/// The store.
pub struct State {
    pub users: HashMap<String, User>,
    /// phone key → user id; kept in step with `users` by `insert_user` and `set_phone`.
    phones: HashMap<String, String>,
    /// user name or email → user id (kept in step by `insert_user` and `update_logins`).
    logins: HashMap<String, String>,
    codes: HashMap<(String, String), PendingCode>,
    last_sent: HashMap<(String, String), u64>,
    outbox: Vec<SmsMessage>,
    /// national number → positions in `outbox`, oldest first.
    outbox_by_phone: HashMap<String, Vec<usize>>,
    pub refresh_tokens: HashMap<String, RefreshGrant>,
    pub refresh_stats: RefreshStats,
    pub update_phone_tokens: HashMap<String, UpdatePhoneGrant>,
    /// WeChat mobile bind requests (ecConn authByCodeIdentity), by key; taken out when used.
    pub bind_requests: HashMap<String, StateGrant>,
    /// Password reset token → (user id, expiry in ms); taken out when used.
    pub reset_tokens: HashMap<String, (String, u64)>,
    /// The /api/v2 family's state tokens, sessions, tickets and tenant tokens.
    pub social: SocialState,
    /// Sign-ins, roles and groups (`records.rs`).
    pub(crate) records: crate::user_records::Records,
    pub limits: Limits,
}

/// A user of the seed's shape; a given phone is verified.
fn user_from_config(u: &UserConfig, now_ms: u64) -> User {
    User {
        id: u.id.clone().unwrap_or_else(new_id),
        username: u.username.clone(),
        email: u.email.clone(),
        password: u.password.clone(),
        phone_verified: u.phone.is_some(),
        phone_country_code: u
            .phone
            .as_ref()
            .map(|_| u.phone_country_code.clone().unwrap_or_else(|| "+86".into())),
        phone: u.phone.clone(),
        name: u.name.clone(),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
        logins_count: 0,
        last_login_ms: None,
        identities: Vec::new(),
        custom_data: Map::new(),
        departments: Vec::new(),
    }
}

/// No user has the id asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserNotFound;

/// A phone number another user owns already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhoneTaken;

/// `+86 13800138000` style key of a phone.
pub fn phone_key(country_code: &str, phone: &str) -> String {
    format!("{country_code} {phone}")
}

/// Random token text of `len` URL-safe characters.
pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// A 24-hex id like GenAuth's.
pub fn new_id() -> String {
    use rand::Rng;
    let bytes: [u8; 12] = rand::rng().random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks and normalises a phone with the service's rules ([`genauth_api::phone`]): returns
/// (country code with its `+`, national number), or why the number is refused.
pub fn normalize_phone(
    phone: &str,
    country_code: Option<&str>,
) -> Result<(String, String), PhoneProblem> {
    let cc = match country_code.map(str::trim).filter(|c| !c.is_empty()) {
        None => "86",
        Some(c) => genauth_api::phone::country_code_digits(c).map_err(|why| PhoneProblem {
            field: "phoneCountryCode",
            value: c.to_string(),
            why,
        })?,
    };
    let number = phone.trim();
    genauth_api::phone::check(cc, number).map_err(|why| PhoneProblem {
        field: "phoneNumber",
        value: number.to_string(),
        why,
    })?;
    Ok((format!("+{cc}"), number.to_string()))
}

/// A phone number the rules refuse; each API family words it in its own errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneProblem {
    /// The field that holds it.
    pub field: &'static str,
    /// What was sent.
    pub value: String,
    /// Which rule it breaks.
    pub why: &'static str,
}

impl std::fmt::Display for PhoneProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {:?} is refused: {}",
            self.field, self.value, self.why
        )
    }
}

impl State {
    /// The user one of whose identities is `user_id_in_idp` at `provider`.
    pub(crate) fn linked_user(&self, provider: &str, user_id_in_idp: &str) -> Option<String> {
        self.users
            .values()
            .find(|u| {
                u.identities
                    .iter()
                    .any(|i| i.provider == provider && i.user_id_in_idp == user_id_in_idp)
            })
            .map(|u| u.id.clone())
    }
    /// The store seeded from `config` at time `now_ms`.
    pub fn new(config: &Config, now_ms: u64) -> Self {
        let mut state = Self {
            users: HashMap::new(),
            phones: HashMap::new(),
            logins: HashMap::new(),
            codes: HashMap::new(),
            last_sent: HashMap::new(),
            outbox: Vec::new(),
            outbox_by_phone: HashMap::new(),
            refresh_tokens: HashMap::new(),
            refresh_stats: RefreshStats::default(),
            update_phone_tokens: HashMap::new(),
            reset_tokens: HashMap::new(),
            bind_requests: HashMap::new(),
            social: Default::default(),
            records: Default::default(),
            limits: config.limits.clone(),
        };
        for code in &config.social_codes {
            state.social.add_code(code.clone());
        }
        for u in &config.users {
            state.insert_user(user_from_config(u, now_ms));
        }
        state
    }

    /// Creates a user from the shape of a seeded one (`POST /__sandbox/users`): the phone is
    /// checked and normalised, and a taken id, user name, email or phone is refused.
    /// `Err` is an HTTP status and a message.
    pub fn create_user(&mut self, u: &UserConfig, now_ms: u64) -> Result<String, (u16, String)> {
        let mut u = u.clone();
        if let Some(phone) = &u.phone {
            let (cc, number) = normalize_phone(phone, u.phone_country_code.as_deref())
                .map_err(|e| (400, e.to_string()))?;
            if self.user_by_phone(&cc, &number).is_some() {
                return Err((409, format!("phone {cc} {number} belongs to another user")));
            }
            u.phone = Some(number);
            u.phone_country_code = Some(cc);
        }
        for login in [&u.username, &u.email].into_iter().flatten() {
            if self.user_by_login(login).is_some() {
                return Err((409, format!("{login:?} is taken")));
            }
        }
        if u.id.as_ref().is_some_and(|id| self.users.contains_key(id)) {
            return Err((409, "that user id is taken".into()));
        }
        let user = user_from_config(&u, now_ms);
        let id = user.id.clone();
        self.insert_user(user);
        Ok(id)
    }

    /// The user with this id (statusCode 404, apiCode 2004 when there is none).
    pub fn user(&self, id: &str) -> Result<&User, UserNotFound> {
        self.users.get(id).ok_or(UserNotFound)
    }

    /// The user with this id, to change.
    pub fn user_mut(&mut self, id: &str) -> Result<&mut User, UserNotFound> {
        self.users.get_mut(id).ok_or(UserNotFound)
    }

    /// Every user, in no particular order.
    pub fn users(&self) -> impl Iterator<Item = &User> {
        self.users.values()
    }

    /// Removes a user and frees its phone, user name and email; its tokens stop working because
    /// the user is gone.
    pub fn delete_user(&mut self, id: &str) -> Result<User, UserNotFound> {
        let user = self.users.remove(id).ok_or(UserNotFound)?;
        if let (Some(cc), Some(phone)) = (&user.phone_country_code, &user.phone) {
            self.phones.remove(&phone_key(cc, phone));
        }
        for login in [&user.username, &user.email].into_iter().flatten() {
            self.logins.remove(login);
        }
        self.records.forget_user(id);
        Ok(user)
    }

    /// Adds a user (and indexes its phone).
    pub fn insert_user(&mut self, user: User) {
        if let (Some(cc), Some(phone)) = (&user.phone_country_code, &user.phone) {
            self.phones.insert(phone_key(cc, phone), user.id.clone());
        }
        for login in [&user.username, &user.email].into_iter().flatten() {
            self.logins.insert(login.clone(), user.id.clone());
        }
        self.users.insert(user.id.clone(), user);
    }

    /// Sets (or with `None` removes) a user's phone, keeping the index in step. A phone that is
    /// set is verified.
    pub fn set_phone(&mut self, user_id: &str, phone: Option<(String, String)>, now_ms: u64) {
        let Some(user) = self.users.get_mut(user_id) else {
            return;
        };
        if let (Some(cc), Some(old)) = (&user.phone_country_code, &user.phone) {
            self.phones.remove(&phone_key(cc, old));
        }
        match phone {
            Some((cc, number)) => {
                self.phones
                    .insert(phone_key(&cc, &number), user_id.to_string());
                user.phone = Some(number);
                user.phone_country_code = Some(cc);
                user.phone_verified = true;
            }
            None => {
                user.phone = None;
                user.phone_country_code = None;
                user.phone_verified = false;
            }
        }
        user.updated_at_ms = now_ms;
    }

    /// Changes a user's user name and email (each when given), keeping the index in step; the
    /// caller has checked that no other user has them.
    pub fn update_logins(
        &mut self,
        user_id: &str,
        username: Option<String>,
        email: Option<String>,
    ) {
        let Some(user) = self.users.get_mut(user_id) else {
            return;
        };
        for (slot, new) in [(&mut user.username, username), (&mut user.email, email)] {
            let Some(new) = new else { continue };
            if let Some(old) = slot.take() {
                self.logins.remove(&old);
            }
            self.logins.insert(new.clone(), user_id.to_string());
            *slot = Some(new);
        }
    }

    /// The user with this user name or email.
    pub fn user_by_login(&self, login: &str) -> Option<&User> {
        self.logins.get(login).and_then(|id| self.users.get(id))
    }

    /// Refuses a phone that a user owns already (statusCode 409, apiCode 1320004).
    pub fn ensure_phone_free(&self, country_code: &str, phone: &str) -> Result<(), PhoneTaken> {
        match self.user_by_phone(country_code, phone) {
            Some(_) => Err(PhoneTaken),
            None => Ok(()),
        }
    }

    /// The user who owns this phone.
    pub fn user_by_phone(&self, country_code: &str, phone: &str) -> Option<&User> {
        self.phones
            .get(&phone_key(country_code, phone))
            .and_then(|id| self.users.get(id))
    }

    /// Every message sent so far, oldest first.
    pub fn outbox(&self) -> &[SmsMessage] {
        &self.outbox
    }

    /// The messages sent to `phone` (national number), oldest first, without scanning the
    /// whole outbox.
    pub fn messages_to<'a>(
        &'a self,
        phone: &str,
    ) -> impl DoubleEndedIterator<Item = &'a SmsMessage> {
        self.outbox_by_phone
            .get(phone)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| self.outbox.get(i))
    }

    /// Sends a code of `digits` digits: one per minute per phone per channel.
    pub fn send_code(
        &mut self,
        country_code: &str,
        phone: &str,
        channel: &str,
        digits: u8,
        now_ms: u64,
    ) -> Result<(), CodeProblem> {
        let key = (phone_key(country_code, phone), channel.to_string());
        if let Some(&last) = self.last_sent.get(&key) {
            let wait_ms = self.limits.resend_interval_secs * 1000;
            if now_ms < last + wait_ms {
                return Err(CodeProblem::TooSoon {
                    wait_secs: (last + wait_ms - now_ms).div_ceil(1000),
                });
            }
        }
        let code = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..digits.clamp(4, 8))
                .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
                .collect::<String>()
        };
        self.last_sent.insert(key.clone(), now_ms);
        self.codes.insert(
            key,
            PendingCode {
                code: code.clone(),
                expires_at_ms: now_ms + self.limits.code_ttl_secs * 1000,
                attempts_left: self.limits.max_code_attempts,
            },
        );
        self.outbox_by_phone
            .entry(phone.to_string())
            .or_default()
            .push(self.outbox.len());
        self.outbox.push(SmsMessage {
            phone_country_code: country_code.to_string(),
            phone: phone.to_string(),
            channel: channel.to_string(),
            code,
            sent_at_ms: now_ms,
        });
        Ok(())
    }

    /// Checks a code and spends it; the 5th wrong try burns it.
    pub fn consume_code(
        &mut self,
        country_code: &str,
        phone: &str,
        channel: &str,
        code: &str,
        now_ms: u64,
    ) -> Result<(), CodeProblem> {
        self.check_code(country_code, phone, channel, code, now_ms)?;
        self.codes
            .remove(&(phone_key(country_code, phone), channel.to_string()));
        Ok(())
    }

    /// Checks a code without spending it: a right code stays pending (for a call that checks
    /// several codes before it spends any); a wrong try still counts, and the 5th burns it.
    pub fn check_code(
        &mut self,
        country_code: &str,
        phone: &str,
        channel: &str,
        code: &str,
        now_ms: u64,
    ) -> Result<(), CodeProblem> {
        let key = (phone_key(country_code, phone), channel.to_string());
        let Some(pending) = self.codes.get_mut(&key) else {
            return Err(CodeProblem::Missing);
        };
        if now_ms >= pending.expires_at_ms {
            self.codes.remove(&key);
            return Err(CodeProblem::Expired);
        }
        if pending.code != code.trim() {
            pending.attempts_left = pending.attempts_left.saturating_sub(1);
            let tries_left = pending.attempts_left;
            if tries_left == 0 {
                self.codes.remove(&key);
            }
            return Err(CodeProblem::Wrong { tries_left });
        }
        Ok(())
    }
}

/// Why a code could not be sent or was refused. Each API family words it in its own errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// A code went to this phone on this channel less than the resend interval ago.
    TooSoon {
        /// Seconds until a new code may be sent.
        wait_secs: u64,
    },
    /// No pending code: never sent, spent, or burned.
    Missing,
    /// The pending code expired.
    Expired,
    /// Wrong code; at 0 tries left it is burned.
    Wrong {
        /// Tries left.
        tries_left: u32,
    },
}

impl CodeProblem {
    /// The message, for either family.
    pub fn message(&self, channel: &str) -> String {
        match self {
            Self::TooSoon { wait_secs } => format!(
                "a code was sent to this phone on {channel} recently; try again in {wait_secs} s"
            ),
            Self::Missing => {
                format!("no valid verification code for this phone on {channel}; send one first")
            }
            Self::Expired => "the verification code has expired".into(),
            Self::Wrong { tries_left: 0 } => {
                "the verification code is wrong; too many wrong tries, send a new code".into()
            }
            Self::Wrong { tries_left } => {
                format!("the verification code is wrong; {tries_left} tries left")
            }
        }
    }
}

// The /api/v2 family's part of the store.

/// A social login waiting for its bind or register step.
#[derive(Debug, Clone)]
pub struct StateGrant {
    pub app_id: String,
    pub provider: String,
    pub user_id_in_idp: String,
    pub expires_at_ms: u64,
}

/// A signed-in session of the /api/v2 family.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub app_id: String,
    pub fingerprint: String,
    pub expires_at_ms: u64,
}

#[derive(Debug, Clone)]
pub struct Ticket {
    pub user_id: String,
    pub app_id: String,
    pub fingerprint: String,
    pub expires_at_ms: u64,
}

/// The social and tenant part of the store.
#[derive(Debug, Default)]
pub struct SocialState {
    pub codes: HashMap<String, SocialCode>,
    pub state_tokens: HashMap<String, StateGrant>,
    pub sessions: HashMap<String, Session>,
    pub tickets: HashMap<String, Ticket>,
    pub tenant_tokens: HashMap<String, (String, u64)>,
}

impl SocialState {
    /// Registers a one-time authorization code.
    pub fn add_code(&mut self, code: SocialCode) {
        self.codes.insert(code.code.clone(), code);
    }
}

// Short-lived records of the HTTP layer: signature nonces and rate-limit windows.

/// Nonces seen within the date window, with when they may be forgotten (ms).
#[derive(Debug, Default)]
pub struct Nonces {
    seen: Mutex<HashMap<String, u64>>,
}

impl Nonces {
    /// Forgets every nonce.
    pub(crate) fn clear(&self) {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Records `nonce` for `remember_ms`; false when it was already used and is still
    /// remembered.
    pub(crate) fn first_use(&self, nonce: &str, now_ms: u64, remember_ms: u64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, forget_at| *forget_at > now_ms);
        }
        match seen.get(nonce) {
            Some(forget_at) if *forget_at > now_ms => false,
            _ => {
                seen.insert(nonce.to_string(), now_ms + remember_ms);
                true
            }
        }
    }
}

/// Fixed windows per app: `(window start ms, calls in it)`.
#[derive(Debug, Default)]
pub struct RateWindows {
    pub(crate) windows: Mutex<HashMap<String, (u64, u32)>>,
}

impl RateWindows {
    /// Forgets every window.
    pub(crate) fn clear(&self) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
