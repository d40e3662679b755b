//! The store's records of its users beyond their profiles: each sign-in, and the roles and
//! groups with their members (`records.rs` answers the calls that read and change them). Kept
//! on the one store the phone flows use; a deleted user leaves every role and group.

use std::collections::{BTreeMap, BTreeSet};

/// The records: sign-ins, roles and groups.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) sign_ins: Vec<SignIn>,
    /// By (namespace, code).
    pub(crate) roles: BTreeMap<(String, String), Role>,
    /// By code.
    pub(crate) groups: BTreeMap<String, Group>,
}

/// One sign-in of a user to an app, and the identity it came through (a social sign-in).
#[derive(Debug, Clone)]
pub(crate) struct SignIn {
    pub(crate) user_id: String,
    pub(crate) app_id: String,
    pub(crate) at_ms: u64,
    pub(crate) identity: Option<SignInIdentity>,
}

/// The identity a social sign-in came through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SignInIdentity {
    /// The identity's id.
    pub identity_id: String,
    /// Its identity source (the sandbox's provider name).
    pub ext_idp_id: String,
    /// The provider.
    pub provider: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Role {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) namespace: String,
    pub(crate) disable_time: Option<i64>,
    pub(crate) members: BTreeSet<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) kind: String,
    pub(crate) members: BTreeSet<String>,
}

impl Records {
    /// Records a sign-in.
    pub(crate) fn sign_in(
        &mut self,
        user_id: &str,
        app_id: &str,
        at_ms: u64,
        identity: Option<SignInIdentity>,
    ) {
        self.sign_ins.push(SignIn {
            user_id: user_id.into(),
            app_id: app_id.into(),
            at_ms,
            identity,
        });
    }

    /// Forgets a deleted user: its sign-ins, and its places in every role and group.
    pub(crate) fn forget_user(&mut self, user_id: &str) {
        self.sign_ins.retain(|s| s.user_id != user_id);
        for role in self.roles.values_mut() {
            role.members.remove(user_id);
        }
        for group in self.groups.values_mut() {
            group.members.remove(user_id);
        }
    }
}
