//! The chat channels' settings: `TANGGAP_<KEY>` variables, else the config file's `[channels]`
//! table with the same keys in lower case (`whatsapp_app_secret = "…"`). A channel is on when its
//! inbound credentials are set; half a set of credentials is an error, not a silently dead channel.

use crate::config::ConfigError;
use std::collections::HashMap;
use tanggap_channels::Secret;
use tanggap_channels::config::*;
use tanggap_channels::inbound::SmsFields;

/// Every key, as its variable name (the config file uses the part after `TANGGAP_`, lower case).
pub const KEYS: &[&str] = &[
    "TANGGAP_WHATSAPP_APP_SECRET",
    "TANGGAP_WHATSAPP_VERIFY_TOKEN",
    "TANGGAP_WHATSAPP_ACCESS_TOKEN",
    "TANGGAP_WHATSAPP_PHONE_NUMBER_ID",
    "TANGGAP_WHATSAPP_API_BASE",
    "TANGGAP_WHATSAPP_TEMPLATE",
    "TANGGAP_WHATSAPP_TEMPLATE_LANGUAGE",
    "TANGGAP_TELEGRAM_SECRET_TOKEN",
    "TANGGAP_TELEGRAM_BOT_TOKEN",
    "TANGGAP_TELEGRAM_API_BASE",
    "TANGGAP_SMS_GATEWAY_SECRET",
    "TANGGAP_SMS_GATEWAY_SEND_URL",
    "TANGGAP_SMS_GATEWAY_ALLOW",
    "TANGGAP_SMS_FIELD_FROM",
    "TANGGAP_SMS_FIELD_TEXT",
    "TANGGAP_SMS_FIELD_DATE",
    "TANGGAP_SMS_FIELD_ID",
    "TANGGAP_TWILIO_AUTH_TOKEN",
    "TANGGAP_TWILIO_ACCOUNT_SID",
    "TANGGAP_TWILIO_FROM",
    "TANGGAP_TWILIO_API_BASE",
    "TANGGAP_MESSENGER_APP_SECRET",
    "TANGGAP_MESSENGER_VERIFY_TOKEN",
    "TANGGAP_MESSENGER_PAGE_TOKEN",
    "TANGGAP_MESSENGER_API_BASE",
    "TANGGAP_X_CONSUMER_SECRET",
    "TANGGAP_X_ACCESS_TOKEN",
    "TANGGAP_X_API_BASE",
    "TANGGAP_EMAIL_WEBHOOK_SECRET",
];

/// The shortest secret accepted where the secret is the only proof (SMS gateways sign nothing).
const MIN_PATH_SECRET: usize = 24;

pub(crate) fn load(
    file: &HashMap<String, String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ChannelsConfig, ConfigError> {
    for key in file.keys() {
        let name = format!("TANGGAP_{}", key.to_ascii_uppercase());
        if !KEYS.contains(&name.as_str()) {
            return Err(ConfigError::BadValue {
                name: "[channels]",
                reason: format!(
                    "unknown key `{key}` (known: the TANGGAP_ names in the README, lower case, without TANGGAP_)"
                ),
            });
        }
    }
    let get = |name: &'static str| -> Option<String> {
        env(name)
            .or_else(|| {
                let key = name.trim_start_matches("TANGGAP_").to_ascii_lowercase();
                file.get(&key).cloned()
            })
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let secret = |name: &'static str| get(name).map(Secret);
    let base = |name: &'static str, default: &str| -> Result<String, ConfigError> {
        let v = get(name).unwrap_or_else(|| default.to_string());
        if !(v.starts_with("https://") || v.starts_with("http://")) {
            return Err(ConfigError::BadValue {
                name,
                reason: "use an http:// or https:// URL".into(),
            });
        }
        Ok(v.trim_end_matches('/').to_string())
    };
    // Both or neither: half a channel is a mistake to report, not a channel to leave off.
    let pair =
        |a: &'static str, b: &'static str| -> Result<Option<(Secret, Secret)>, ConfigError> {
            match (secret(a), secret(b)) {
                (Some(x), Some(y)) => Ok(Some((x, y))),
                (None, None) => Ok(None),
                (Some(_), None) => Err(ConfigError::BadValue {
                    name: b,
                    reason: format!("set it together with {a}"),
                }),
                (None, Some(_)) => Err(ConfigError::BadValue {
                    name: a,
                    reason: format!("set it together with {b}"),
                }),
            }
        };

    let whatsapp = match pair(
        "TANGGAP_WHATSAPP_APP_SECRET",
        "TANGGAP_WHATSAPP_VERIFY_TOKEN",
    )? {
        None => None,
        Some((app_secret, verify_token)) => {
            let access_token = secret("TANGGAP_WHATSAPP_ACCESS_TOKEN");
            let phone_number_id = get("TANGGAP_WHATSAPP_PHONE_NUMBER_ID");
            if access_token.is_some() != phone_number_id.is_some() {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_WHATSAPP_PHONE_NUMBER_ID",
                    reason: "set TANGGAP_WHATSAPP_ACCESS_TOKEN and TANGGAP_WHATSAPP_PHONE_NUMBER_ID together (both are needed to send)".into(),
                });
            }
            Some(WhatsappConfig {
                app_secret,
                verify_token,
                access_token,
                phone_number_id,
                api_base: base(
                    "TANGGAP_WHATSAPP_API_BASE",
                    "https://graph.facebook.com/v21.0",
                )?,
                template: get("TANGGAP_WHATSAPP_TEMPLATE"),
                template_language: get("TANGGAP_WHATSAPP_TEMPLATE_LANGUAGE")
                    .unwrap_or_else(|| "id".into()),
            })
        }
    };
    let telegram = match secret("TANGGAP_TELEGRAM_SECRET_TOKEN") {
        None => None,
        Some(secret_token) => Some(TelegramConfig {
            secret_token,
            bot_token: secret("TANGGAP_TELEGRAM_BOT_TOKEN"),
            api_base: base("TANGGAP_TELEGRAM_API_BASE", "https://api.telegram.org")?,
        }),
    };
    let sms = match secret("TANGGAP_SMS_GATEWAY_SECRET") {
        None => None,
        Some(s) => {
            if s.expose().chars().count() < MIN_PATH_SECRET
                || !s
                    .expose()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_SMS_GATEWAY_SECRET",
                    reason: format!(
                        "use at least {MIN_PATH_SECRET} random letters, digits, - or _ (it is the only proof a gateway gives)"
                    ),
                });
            }
            let d = SmsFields::default();
            let allow = match get("TANGGAP_SMS_GATEWAY_ALLOW") {
                None => vec![],
                Some(list) => list
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|ip| {
                        ip.parse().map_err(|_| ConfigError::BadValue {
                            name: "TANGGAP_SMS_GATEWAY_ALLOW",
                            reason: format!("`{ip}` is not an IP address"),
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let send_url = secret("TANGGAP_SMS_GATEWAY_SEND_URL");
            if let Some(u) = &send_url
                && (!(u.expose().starts_with("http://") || u.expose().starts_with("https://"))
                    || !u.expose().contains("{to}")
                    || !u.expose().contains("{text}"))
            {
                return Err(ConfigError::BadValue {
                    name: "TANGGAP_SMS_GATEWAY_SEND_URL",
                    reason: "use an http(s) URL with {to} and {text} where the number and the message go".into(),
                });
            }
            Some(SmsGatewayConfig {
                secret: s,
                fields: SmsFields {
                    from: get("TANGGAP_SMS_FIELD_FROM").unwrap_or(d.from),
                    text: get("TANGGAP_SMS_FIELD_TEXT").unwrap_or(d.text),
                    date: get("TANGGAP_SMS_FIELD_DATE").unwrap_or(d.date),
                    id: get("TANGGAP_SMS_FIELD_ID").unwrap_or(d.id),
                },
                allow,
                send_url,
            })
        }
    };
    let twilio = match secret("TANGGAP_TWILIO_AUTH_TOKEN") {
        None => None,
        Some(auth_token) => Some(TwilioConfig {
            auth_token,
            account_sid: get("TANGGAP_TWILIO_ACCOUNT_SID"),
            from: get("TANGGAP_TWILIO_FROM"),
            api_base: base("TANGGAP_TWILIO_API_BASE", "https://api.twilio.com")?,
        }),
    };
    let messenger = match pair(
        "TANGGAP_MESSENGER_APP_SECRET",
        "TANGGAP_MESSENGER_VERIFY_TOKEN",
    )? {
        None => None,
        Some((app_secret, verify_token)) => Some(MessengerConfig {
            app_secret,
            verify_token,
            page_token: secret("TANGGAP_MESSENGER_PAGE_TOKEN"),
            api_base: base(
                "TANGGAP_MESSENGER_API_BASE",
                "https://graph.facebook.com/v21.0",
            )?,
        }),
    };
    let x = match secret("TANGGAP_X_CONSUMER_SECRET") {
        None => None,
        Some(consumer_secret) => Some(XConfig {
            consumer_secret,
            access_token: secret("TANGGAP_X_ACCESS_TOKEN"),
            api_base: base("TANGGAP_X_API_BASE", "https://api.x.com")?,
        }),
    };
    let email = secret("TANGGAP_EMAIL_WEBHOOK_SECRET")
        .map(|webhook_secret| EmailInboundConfig { webhook_secret });
    Ok(ChannelsConfig {
        whatsapp,
        telegram,
        sms,
        twilio,
        messenger,
        x,
        email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn every_channel_is_off_without_credentials() {
        let c = load(&HashMap::new(), &env(&[])).unwrap();
        assert_eq!(c, ChannelsConfig::default());
    }

    #[test]
    fn credentials_turn_channels_on_with_default_bases() {
        let c = load(
            &HashMap::new(),
            &env(&[
                ("TANGGAP_WHATSAPP_APP_SECRET", "s3cret"),
                ("TANGGAP_WHATSAPP_VERIFY_TOKEN", "verify"),
                ("TANGGAP_TELEGRAM_SECRET_TOKEN", "tg"),
                ("TANGGAP_TWILIO_AUTH_TOKEN", "tw"),
                (
                    "TANGGAP_SMS_GATEWAY_SECRET",
                    "abcdefghijklmnopqrstuvwxyz012345",
                ),
                ("TANGGAP_SMS_FIELD_FROM", "SMS_1_NUMBER"),
            ]),
        )
        .unwrap();
        let w = c.whatsapp.unwrap();
        assert_eq!(w.app_secret.expose(), "s3cret");
        assert_eq!(w.api_base, "https://graph.facebook.com/v21.0");
        assert_eq!(w.template_language, "id");
        assert_eq!(c.telegram.unwrap().api_base, "https://api.telegram.org");
        assert_eq!(c.twilio.unwrap().api_base, "https://api.twilio.com");
        let sms = c.sms.unwrap();
        assert_eq!(sms.fields.from, "SMS_1_NUMBER");
        assert_eq!(sms.fields.text, "text");
        assert!(c.messenger.is_none() && c.x.is_none() && c.email.is_none());
        // Secrets never reach a log line.
        assert!(!format!("{w:?}").contains("s3cret"));
    }

    #[test]
    fn the_config_file_table_uses_the_same_keys() {
        let file: HashMap<String, String> = [
            ("telegram_secret_token", "from-file"),
            ("telegram_api_base", "http://127.0.0.1:9/"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = load(&file, &env(&[])).unwrap();
        let t = c.telegram.unwrap();
        assert_eq!(t.secret_token.expose(), "from-file");
        assert_eq!(t.api_base, "http://127.0.0.1:9");
        let c = load(&file, &env(&[("TANGGAP_TELEGRAM_SECRET_TOKEN", "env")])).unwrap();
        assert_eq!(
            c.telegram.unwrap().secret_token.expose(),
            "env",
            "the variable wins"
        );
        let bad: HashMap<String, String> =
            [("telegram_secret".to_string(), "x".to_string())].into();
        assert!(load(&bad, &env(&[])).is_err());
    }

    #[test]
    fn half_credentials_and_weak_secrets_are_refused() {
        for pairs in [
            vec![("TANGGAP_WHATSAPP_APP_SECRET", "s")],
            vec![("TANGGAP_MESSENGER_VERIFY_TOKEN", "v")],
            vec![
                ("TANGGAP_WHATSAPP_APP_SECRET", "s"),
                ("TANGGAP_WHATSAPP_VERIFY_TOKEN", "v"),
                ("TANGGAP_WHATSAPP_ACCESS_TOKEN", "t"),
            ],
            vec![("TANGGAP_SMS_GATEWAY_SECRET", "short")],
            vec![
                (
                    "TANGGAP_SMS_GATEWAY_SECRET",
                    "abcdefghijklmnopqrstuvwxyz012345",
                ),
                ("TANGGAP_SMS_GATEWAY_SEND_URL", "http://kannel/send?to={to}"),
            ],
            vec![
                ("TANGGAP_TELEGRAM_SECRET_TOKEN", "tg"),
                ("TANGGAP_TELEGRAM_API_BASE", "ftp://x"),
            ],
        ] {
            assert!(load(&HashMap::new(), &env(&pairs)).is_err(), "{pairs:?}");
        }
    }
}
