//! Verifiers of the values people choose as passwords: words and digits,
//! passphrases, Google app passwords (see [`super::Verifier`]).

pub(super) fn is_words_and_digits(secret: &[u8], whole: &[u8]) -> bool {
    const SIGNS: &[u8] = b"!@#?=+*_.-";
    if !(8..=32).contains(&secret.len())
        || !secret
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || SIGNS.contains(b))
        || !secret.iter().any(u8::is_ascii_digit)
        || secret.iter().filter(|b| b.is_ascii_alphabetic()).count() < 2
    {
        return false;
    }
    // a constant's name, quoted in a list of them (`"STENCIL_BACK_REF2"`)
    let constant = secret[0].is_ascii_uppercase()
        && secret.contains(&b'_')
        && secret
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
    if constant {
        return false;
    }
    if secret.iter().any(|b| matches!(b, b'.' | b'_')) {
        let before = memchr::memmem::rfind(whole, secret)
            .and_then(|at| at.checked_sub(1))
            .map(|at| whole[at]);
        if !matches!(before, Some(b'"' | b'\'' | b'`' | b'>')) {
            return false;
        }
    }
    // `P@ssw0rd`, `sup3r_s3cr3t`: the placeholder markers in digits and signs.
    let folded: Vec<u8> = secret
        .iter()
        .map(|&b| match b.to_ascii_lowercase() {
            b'0' => b'o',
            b'@' | b'4' => b'a',
            b'$' | b'5' => b's',
            b'3' => b'e',
            b'1' => b'i',
            other => other,
        })
        .collect();
    if crate::placeholder::is_human_placeholder(&folded) {
        return false;
    }
    // The generic password rule's allow for a word and one digit.
    let letters = secret.len() - 1;
    let word_and_digit = letters <= 11
        && secret[..letters].iter().all(u8::is_ascii_alphabetic)
        && secret[letters].is_ascii_digit();
    // generic-password's allows for snake_case and dotted lower-case
    // names (`river_gate42`, `moss.violin7`), code where a value is not quoted.
    let lower_joined = |sep: u8| {
        secret[0].is_ascii_lowercase()
            && secret.contains(&sep)
            && secret.split(|&b| b == sep).all(|w| {
                !w.is_empty()
                    && w.iter()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    crate::placeholder::is_identifier_like(secret)
        || word_and_digit
        || lower_joined(b'_')
        || lower_joined(b'.')
        || crate::named::shannon_entropy(secret) < GENERIC_PASSWORD_ENTROPY
}

/// generic-password's `min_entropy` (patterns/generic.yaml): a value under
/// it is left to [`super::Verifier::WordsAndDigits`]. A unit test keeps the two
/// in step.
pub(crate) const GENERIC_PASSWORD_ENTROPY: f64 = 2.8;

/// Words of sentences, forms and placeholders: a value holding one is not
/// a passphrase.
const NOT_PASSPHRASE_WORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "from",
    "your",
    "you",
    "our",
    "are",
    "been",
    "was",
    "must",
    "should",
    "will",
    "can",
    "not",
    "enter",
    "new",
    "old",
    "confirm",
    "current",
    "please",
    "here",
    "this",
    "that",
    "required",
    "min",
    "max",
    "password",
    "passwd",
    "pass",
    "secret",
    "change",
    "example",
    "sample",
    "test",
    "demo",
    "default",
    "user",
    "admin",
    "characters",
    "least",
    "field",
    "value",
    "string",
    "type",
    "input",
    "reset",
    "forgot",
    "login",
    "mot",
    "passe",
    "has",
    "have",
    "does",
    "did",
    "who",
    "what",
    "when",
    "where",
    "why",
    "how",
    "all",
    "any",
    "too",
    "into",
    "then",
    "than",
    "only",
    "also",
    "its",
    "their",
    "his",
    "her",
    "via",
    "set",
    "see",
    "use",
    "using",
    "env",
    "none",
    "null",
    "empty",
    "unset",
    "blank",
    "dummy",
    "fake",
    "placeholder",
    "redacted",
    "hidden",
    "removed",
    "masked",
    "todo",
    "fixme",
    "tbd",
    "generated",
    "random",
    "auto",
    "provided",
    "replace",
    "insert",
    "put",
    "add",
    "real",
    "actual",
    "prod",
    "production",
    "dev",
    "local",
    "staging",
    "never",
    "commit",
    "vault",
    "environment",
    "variable",
    "secure",
    "strong",
    "some",
    "goes",
    "key",
    "token",
];

pub(super) fn is_passphrase(secret: &[u8]) -> bool {
    let Some(&sep) = secret
        .iter()
        .find(|b| matches!(b, b' ' | b'.' | b'_' | b'-'))
    else {
        return false;
    };
    let words: Vec<&[u8]> = secret.split(|&b| b == sep).collect();
    // a constant's name (`STENCIL_BACK_REF`)
    if sep == b'_' && secret.iter().all(|b| !b.is_ascii_lowercase()) {
        return false;
    }
    // xkcd 936's example, the best-known passphrase of all
    let xkcd = [&b"correct"[..], b"horse", b"battery", b"staple"];
    if words.len() == 4
        && words
            .iter()
            .zip(xkcd)
            .all(|(w, x)| w.eq_ignore_ascii_case(x))
    {
        return false;
    }
    let alphabetic = |w: &[u8]| !w.is_empty() && w.iter().all(u8::is_ascii_alphabetic);
    let texts: Vec<&[u8]> = words.iter().copied().filter(|w| alphabetic(w)).collect();
    (3..=8).contains(&words.len())
        && words.iter().all(|w| {
            (alphabetic(w) && (3..=12).contains(&w.len()))
                || ((1..=4).contains(&w.len()) && w.iter().all(u8::is_ascii_digit))
        })
        && texts.len() >= 3
        && one_case(&texts)
        && !words.iter().any(|w| {
            let lower = w.to_ascii_lowercase();
            NOT_PASSPHRASE_WORDS
                .iter()
                .any(|n| n.as_bytes() == lower.as_slice())
                || NOT_PASSPHRASE_STEMS
                    .iter()
                    .any(|n| memchr::memmem::find(&lower, n.as_bytes()).is_some())
        })
}

/// Whether every word has one case: all lower, all capitalised or all
/// upper. A label is in sentence case (`Neues Passwort eingeben`,
/// `Mot de passe`).
fn one_case(words: &[&[u8]]) -> bool {
    let lower = |w: &[u8]| w.iter().all(u8::is_ascii_lowercase);
    let upper = |w: &[u8]| w.iter().all(u8::is_ascii_uppercase);
    let capitalised = |w: &[u8]| w[0].is_ascii_uppercase() && lower(&w[1..]);
    words.iter().all(|w| lower(w))
        || words.iter().all(|w| upper(w))
        || words.iter().all(|w| capitalised(w))
}

/// Parts of the word for a password in the languages of labels
/// (`Passwort`, `contraseña`, `senha`, `Kennwort`): a value holding one is
/// a label, not a passphrase.
const NOT_PASSPHRASE_STEMS: &[&str] = &[
    "pass", "word", "wort", "secret", "geheim", "senha", "contrase", "clave", "parol", "mdp",
];

pub(super) fn is_app_password(secret: &[u8]) -> bool {
    let letters: Vec<u8> = secret.iter().copied().filter(|&b| b != b' ').collect();
    let grouped = secret.len() == 19
        && secret
            .iter()
            .enumerate()
            .all(|(i, &b)| (i % 5 == 4) == (b == b' '));
    let vowels = letters.iter().filter(|b| b"aeiouy".contains(b)).count();
    // Grouped, Google's display is the mark, and four words of four
    // letters read as a sentence (`must have been used`); run together,
    // seven vowels of sixteen read as English.
    let sentence = secret
        .split(|&b| b == b' ')
        .any(|w| NOT_PASSPHRASE_WORDS.iter().any(|n| n.as_bytes() == w));
    letters.len() == 16
        && letters.iter().all(u8::is_ascii_lowercase)
        && if grouped {
            vowels <= 8 && !sentence
        } else {
            secret.len() == 16 && crate::placeholder::is_identifier_like(secret) && vowels < 7
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Words and digits pass where the generic rules leave them; random
    /// values, values without a digit or a word, and odd lengths do not.
    #[test]
    fn words_and_digits_are_what_generic_rules_leave() {
        for p in [
            "bluefalcon77",
            "Summer2023",
            "dbadmin2019",
            "orangeTree9",
            "Qwerty123",
            "kettle03?",
            "Fall2022@",
        ] {
            assert!(is_words_and_digits(p.as_bytes(), b""), "{p}");
        }
        // With `.` or `_`, quoted only.
        assert!(is_words_and_digits(
            b"river_gate42",
            b"pw = \"river_gate42\""
        ));
        assert!(!is_words_and_digits(b"Be4ver_60q", b"pw = \"Be4ver_60q\""));
        assert!(!is_words_and_digits(b"self.pass1", b"pw = self.pass1"));
        for n in [
            "q8Fz2LpW7vXk4NcRt6Yh",
            "goodspec",
            "12345678",
            "1a2345678",
            "Tr0ub4dor",
            "Tr0ub4dor&3",
            "Zq9!xKc4#Lw2",
            "P@ssW0rd",
            "p4ssw0rd",
            "sup3r_s3cr3t",
            "STENCIL_BACK_REF2",
            "ab12",
            "",
            "averyveryverylongwordwithdigits12345",
        ] {
            assert!(!is_words_and_digits(n.as_bytes(), b""), "{n}");
        }
    }

    /// Sixteen random lower-case letters, grouped as Google shows them or
    /// run together where generic-password leaves them, pass; English
    /// phrases and other lengths do not.
    #[test]
    fn app_passwords_are_sixteen_random_letters() {
        assert!(is_app_password(b"kemu bcrd lsbq gbcn"));
        assert!(is_app_password(b"qhfz wkbt pmrc dxvn"));
        assert!(is_app_password(b"oppu xqww aeew qriy"));
        // run together, read as a word by the generic rules (six vowels)
        assert!(is_app_password(b"kemuboradlsiqgan"));
        // run together and not word-like: generic-password's finding
        assert!(!is_app_password(b"qhfzwkbtpmrcdxvn"));
        assert!(!is_app_password(b"must have been used"));
        assert!(!is_app_password(b"kemu bcrd lsbq"));
        assert!(!is_app_password(b"kemu  bcrd lsbq gbcn"));
        assert!(!is_app_password(b"Kemu bcrd lsbq gbcn"));
    }

    /// The entropy the words-and-digits verifier reads as generic-password's
    /// is that rule's gate.
    #[test]
    fn generic_password_entropy_in_step() {
        let rules = crate::RuleSet::embedded_for_scan().expect("embedded rules");
        let rule = rules.get("generic-password").expect("generic-password");
        assert_eq!(rule.min_entropy, Some(GENERIC_PASSWORD_ENTROPY));
    }

    /// Words joined by one separator pass; sentences, labels, paths and
    /// mixed separators do not.
    #[test]
    fn passphrases_are_words_not_sentences() {
        for p in [
            "coral moss tunnel tunnel",
            "lynx.lighthouse.pebble.noodle",
            "Pony Quasar Stallion Ember",
            "castle fountain tulip 63 beaver ladle",
            "ridge_cinnamon_ember_attic_621_beaver",
            "maple-harbor-violet-kettle",
        ] {
            assert!(is_passphrase(p.as_bytes()), "{p}");
        }
        for n in [
            "Enter your password",
            "must have been used",
            "Mot de passe",
            "auth.local",
            "coral moss.tunnel",
            "a b c d",
            "one two",
            "settings.DB.Host",
            "xK9 moss tunnel",
            "correct horse battery staple",
            "STENCIL_BACK_REF",
            "Neues Passwort eingeben",
            "Coral moss tunnel",
        ] {
            assert!(!is_passphrase(n.as_bytes()), "{n}");
        }
    }
}
