//! The store's records of its users beyond their profiles: each sign-in, the roles and groups
//! with their members (`records.rs` answers the calls that read and change them), the
//! organizations and their departments (`organizations.rs`; a user's memberships are kept on
//! the user), and the MFA factors users enrolled (`factors.rs`). Kept on the one store the
//! phone flows use; a deleted user leaves every role, group and factor.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The records: sign-ins, roles, groups, organizations, departments and MFA factors.
#[derive(Debug, Default)]
pub(crate) struct Records {
    pub(crate) sign_ins: Vec<SignIn>,
    /// By (namespace, code).
    pub(crate) roles: BTreeMap<(String, String), Role>,
    /// By code.
    pub(crate) groups: BTreeMap<String, Group>,
    /// By organization code.
    pub(crate) organizations: BTreeMap<String, Organization>,
    /// By department id; an organization's root department is one of them.
    pub(crate) departments: BTreeMap<String, Department>,
    /// Enrolled factors, oldest first.
    pub(crate) factors: Vec<Factor>,
    /// Enrollments asked for and not yet finished, by enrollment token.
    pub(crate) enrollments: HashMap<String, Enrollment>,
}

/// An organization: a code, a name and its root department.
#[derive(Debug, Clone)]
pub(crate) struct Organization {
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) root_department_id: String,
    pub(crate) created_ms: u64,
}

/// A department of an organization; the root has no parent.
#[derive(Debug, Clone)]
pub(crate) struct Department {
    pub(crate) id: String,
    pub(crate) organization_code: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) name: String,
    pub(crate) code: String,
    pub(crate) created_ms: u64,
}

/// A user's place in a department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Membership {
    pub(crate) department_id: String,
    pub(crate) is_leader: bool,
    pub(crate) is_main: bool,
    pub(crate) joined_ms: u64,
}

/// An MFA factor a user enrolled: its type (SMS) and profile (the phone).
#[derive(Debug, Clone)]
pub(crate) struct Factor {
    pub(crate) id: String,
    pub(crate) user_id: String,
    pub(crate) kind: String,
    pub(crate) phone_country_code: String,
    pub(crate) phone: String,
}

/// An enrollment asked for: the code went to `phone`; it ends at `expires_ms`.
#[derive(Debug, Clone)]
pub(crate) struct Enrollment {
    pub(crate) user_id: String,
    pub(crate) kind: String,
    pub(crate) phone_country_code: String,
    pub(crate) phone: String,
    pub(crate) expires_ms: u64,
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

    /// Forgets a deleted user: its sign-ins, factors and enrollments, and its places in every
    /// role and group (its department memberships leave with the user).
    pub(crate) fn forget_user(&mut self, user_id: &str) {
        self.sign_ins.retain(|s| s.user_id != user_id);
        self.factors.retain(|f| f.user_id != user_id);
        self.enrollments.retain(|_, e| e.user_id != user_id);
        for role in self.roles.values_mut() {
            role.members.remove(user_id);
        }
        for group in self.groups.values_mut() {
            group.members.remove(user_id);
        }
    }
}

impl Records {
    /// The department `id` and its ancestors, the root first; empty when there is none.
    pub(crate) fn department_path(&self, id: &str) -> Vec<&Department> {
        let mut path = Vec::new();
        let mut next = self.departments.get(id);
        // An organization's tree is at most as deep as it has departments.
        while let Some(d) = next.filter(|_| path.len() <= self.departments.len()) {
            path.push(d);
            next = d.parent_id.as_deref().and_then(|p| self.departments.get(p));
        }
        path.reverse();
        path
    }
}
