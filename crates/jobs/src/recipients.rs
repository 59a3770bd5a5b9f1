//! Who hears of an escalation, at which addresses.
//!
//! - officers: active `petugas` users of the assignment's agency;
//! - head: the agency's head contact (`head_email` by e-mail, `head_phone` by WhatsApp: heads'
//!   phones are expected to be on day and night) and its active `kepala` users;
//! - desk: active `operator` users;
//! - reporter: one address, on the channel they wrote in when it can carry a reply.
//!
//! Users get an in-app notification and, when they have an e-mail address, an e-mail. An
//! address is used once per firing even if it belongs to two recipients.

use std::collections::{HashMap, HashSet};
use tanggap_domain::escalation::{NotifyChannel, RecipientKind, recipient_token};
use tanggap_domain::{Agency, Channel, Role};
use tanggap_store::{ReportRecord, Store, User};

/// One address to notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    pub kind: RecipientKind,
    pub user_id: Option<i64>,
    pub channel: NotifyChannel,
    /// E-mail address or phone number; `None` in-app.
    pub address: Option<String>,
}

impl Address {
    /// The recipient part of the idempotency key.
    pub fn token(&self) -> String {
        recipient_token(self.kind, self.user_id, self.channel)
    }
}

/// Agencies and users, read once per sweep.
pub(crate) struct Directory {
    agencies: HashMap<String, Agency>,
    users: Vec<User>,
}

impl Directory {
    pub async fn load(store: &dyn Store) -> tanggap_store::Result<Self> {
        Ok(Directory {
            agencies: store
                .agencies()
                .await?
                .into_iter()
                .map(|a| (a.id.clone(), a))
                .collect(),
            users: store.users().await?,
        })
    }

    pub fn agency(&self, id: &str) -> Option<&Agency> {
        self.agencies.get(id)
    }

    /// Every agency's id and name.
    pub fn agency_names(&self) -> impl Iterator<Item = (&str, &str)> {
        self.agencies
            .values()
            .map(|a| (a.id.as_str(), a.name.as_str()))
    }

    fn users(&self, role: Role, agency: Option<&str>) -> impl Iterator<Item = &User> {
        self.users.iter().filter(move |u| {
            u.active && u.role == role && (agency.is_none() || u.agency_id.as_deref() == agency)
        })
    }

    /// Leadership's addresses (active `pimpinan` users), each as a named user.
    pub fn leadership(&self) -> Vec<Address> {
        dedupe(
            self.users(Role::Pimpinan, None)
                .flat_map(|u| user_addresses(RecipientKind::User, u))
                .collect(),
        )
    }

    /// The addresses of one kind of recipient.
    pub fn addresses(
        &self,
        kind: RecipientKind,
        agency_id: Option<&str>,
        report: Option<&ReportRecord>,
    ) -> Vec<Address> {
        let mut out = Vec::new();
        let user = |u: &User, out: &mut Vec<Address>| out.extend(user_addresses(kind, u));
        match kind {
            RecipientKind::Officers => {
                if let Some(a) = agency_id {
                    self.users(Role::Petugas, Some(a))
                        .for_each(|u| user(u, &mut out));
                }
            }
            RecipientKind::Head => {
                if let Some(a) = agency_id.and_then(|a| self.agency(a)) {
                    if let Some(email) = &a.head_email {
                        out.push(Address {
                            kind,
                            user_id: None,
                            channel: NotifyChannel::Email,
                            address: Some(email.clone()),
                        });
                    }
                    // The head's own account, when it has the same number, is the one that
                    // can answer from it.
                    let head_user_has = |phone: &str| {
                        self.users(Role::Kepala, Some(&a.id))
                            .any(|u| u.phone.as_deref() == Some(phone))
                    };
                    if let Some(phone) = a.head_phone.as_ref().filter(|p| !head_user_has(p)) {
                        out.push(Address {
                            kind,
                            user_id: None,
                            channel: NotifyChannel::Whatsapp,
                            address: Some(phone.clone()),
                        });
                    }
                    self.users(Role::Kepala, Some(&a.id))
                        .for_each(|u| user(u, &mut out));
                }
            }
            RecipientKind::Desk => self
                .users(Role::Operator, None)
                .for_each(|u| user(u, &mut out)),
            RecipientKind::Reporter => {
                if let Some(a) = report.and_then(reporter_address) {
                    out.push(a);
                }
            }
            RecipientKind::User => {}
        }
        out
    }
}

/// A user's addresses: the in-app inbox, their e-mail, and WhatsApp at a registered staff phone
/// (they answer from it: the chat use case knows the number as this user's).
fn user_addresses(kind: RecipientKind, u: &User) -> Vec<Address> {
    let mut out = vec![Address {
        kind,
        user_id: Some(u.id),
        channel: NotifyChannel::InApp,
        address: None,
    }];
    if let Some(email) = &u.email {
        out.push(Address {
            kind,
            user_id: Some(u.id),
            channel: NotifyChannel::Email,
            address: Some(email.clone()),
        });
    }
    if let Some(phone) = &u.phone {
        out.push(Address {
            kind,
            user_id: Some(u.id),
            channel: NotifyChannel::Whatsapp,
            address: Some(phone.clone()),
        });
    }
    out
}

/// Where to reach the reporter: back on WhatsApp or SMS if they wrote that way, else by e-mail,
/// else by SMS; `None` for a reporter who left no contact.
fn reporter_address(report: &ReportRecord) -> Option<Address> {
    let r = report.reporter.as_ref()?;
    let (channel, address) = match (report.channel, &r.phone, &r.email) {
        (Channel::Whatsapp, Some(p), _) => (NotifyChannel::Whatsapp, p.clone()),
        (Channel::Sms, Some(p), _) => (NotifyChannel::Sms, p.clone()),
        (_, _, Some(e)) => (NotifyChannel::Email, e.clone()),
        (_, Some(p), None) => (NotifyChannel::Sms, p.clone()),
        (_, None, None) => return None,
    };
    Some(Address {
        kind: RecipientKind::Reporter,
        user_id: None,
        channel,
        address: Some(address),
    })
}

/// Keeps the first of several addresses that reach the same inbox, user or phone.
pub(crate) fn dedupe(addresses: Vec<Address>) -> Vec<Address> {
    let mut seen = HashSet::new();
    addresses
        .into_iter()
        .filter(|a| {
            let key = match (&a.address, a.user_id) {
                (Some(addr), _) => (a.channel, addr.to_lowercase()),
                (None, Some(u)) => (a.channel, format!("user:{u}")),
                (None, None) => (a.channel, String::new()),
            };
            seen.insert(key)
        })
        .collect()
}
