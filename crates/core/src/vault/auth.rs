//! What makes a vault file the owner's: a MAC that only the holder of the vault's
//! identity can compute, over the whole plaintext, the vault id and a generation
//! counter, carried in one more age header stanza.
//!
//! Why a MAC at all: X25519 age recipients are anonymous and the vault's public key
//! is written beside it, so anyone can `age -r` a SQLite image of their making to it.
//! Why over the plaintext and not only age's file key (the cheaper design, O(1) in the
//! vault's size): every recipient of a file knows its file key and could re-encrypt
//! other content under the same header, so an extra recipient (a backup key, a
//! colleague removed later) could forge a vault. Keyed BLAKE3 over the plaintext
//! costs about a millisecond per 10 MB here and leaves extra recipients able to read
//! the vault, never to write one the app accepts.
//!
//! The stanza is `-> tokenwarden-auth v1 <vault id> <generation>` with the 32-byte MAC
//! as its body. age implementations skip stanzas they do not know, so `age -d` opens
//! the file as before. The header's own MAC (keyed by the file key) binds the stanza
//! to the file.

use age::secrecy::ExposeSecret;
use age::x25519;
use age_core::format::{FileKey, Stanza};
use std::cell::RefCell;
use std::collections::HashSet;
use zeroize::Zeroize;

/// The stanza's tag.
pub(crate) const TAG: &str = "tokenwarden-auth";
const VERSION: &str = "v1";
/// Domain separation for the content MAC.
const DOMAIN: &[u8] = b"tokenwarden vault file v1";

/// Keys derived from the vault identity (HKDF-SHA256): two for the file's tag (its
/// content's digest, and the tag over that digest), one for the audit chain. Wiped
/// when dropped.
pub(crate) struct VaultKeys {
    content: [u8; 32],
    tag: [u8; 32],
    audit: [u8; 32],
}

impl Drop for VaultKeys {
    fn drop(&mut self) {
        self.content.zeroize();
        self.tag.zeroize();
        self.audit.zeroize();
    }
}

/// Images at least this large are hashed on two threads (the halves' digests do not
/// depend on it: only the time does).
const PARALLEL_FROM: usize = 1 << 20;

impl VaultKeys {
    pub(crate) fn derive(identity: &x25519::Identity) -> Self {
        let secret = identity.to_string();
        let hk = hkdf::Hkdf::<sha2::Sha256>::new(
            Some(b"tokenwarden vault keys v1"),
            secret.expose_secret().as_bytes(),
        );
        let mut keys = VaultKeys {
            content: [0; 32],
            tag: [0; 32],
            audit: [0; 32],
        };
        for (info, out) in [
            (&b"vault file content"[..], &mut keys.content),
            (&b"vault file mac"[..], &mut keys.tag),
            (&b"audit chain"[..], &mut keys.audit),
        ] {
            hk.expand(info, out)
                .expect("32 bytes is a valid HKDF length");
        }
        keys
    }

    pub(crate) fn audit(&self) -> &[u8; 32] {
        &self.audit
    }

    /// The tag of a vault file: keyed BLAKE3 over the vault id, the generation, the
    /// image's length and the digests of its two halves (each keyed BLAKE3 under
    /// another key), so the halves can be hashed on two cores. Length-prefixed and
    /// domain-separated: no two (id, generation, image) feed it the same bytes.
    pub(crate) fn tag(&self, vault_id: &str, generation: u64, image: &[u8]) -> [u8; 32] {
        let (left, right) = image.split_at(image.len() / 2);
        let digest = |part: &[u8]| *blake3::keyed_hash(&self.content, part).as_bytes();
        let (l, r) = if image.len() >= PARALLEL_FROM {
            std::thread::scope(|s| {
                let right = s.spawn(|| digest(right));
                let l = digest(left);
                (l, right.join().expect("hashing does not panic"))
            })
        } else {
            (digest(left), digest(right))
        };
        let mut h = blake3::Hasher::new_keyed(&self.tag);
        h.update(DOMAIN);
        h.update(&(vault_id.len() as u64).to_le_bytes());
        h.update(vault_id.as_bytes());
        h.update(&generation.to_le_bytes());
        h.update(&(image.len() as u64).to_le_bytes());
        h.update(&l);
        h.update(&r);
        *h.finalize().as_bytes()
    }

    /// Whether `t` is this image's tag, compared in constant time.
    pub(crate) fn verify(&self, t: &Tag, image: &[u8]) -> bool {
        blake3::Hash::from_bytes(self.tag(&t.vault_id, t.generation, image))
            == blake3::Hash::from_bytes(t.mac)
    }
}

/// What the stanza says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tag {
    pub vault_id: String,
    pub generation: u64,
    pub mac: [u8; 32],
}

impl Tag {
    fn stanza(&self) -> Stanza {
        Stanza {
            tag: TAG.to_string(),
            args: vec![
                VERSION.to_string(),
                self.vault_id.clone(),
                self.generation.to_string(),
            ],
            body: self.mac.to_vec(),
        }
    }

    /// Reads our stanza; `Err` names what is wrong with one that claims to be ours.
    fn parse(s: &Stanza) -> Result<Tag, String> {
        if s.args.len() != 3 || s.args[0] != VERSION {
            return Err(format!(
                "its authentication stanza has an unknown form ({} arguments)",
                s.args.len()
            ));
        }
        let generation = s.args[2]
            .parse::<u64>()
            .map_err(|_| "its authentication stanza has no valid generation".to_string())?;
        let mac: [u8; 32] = s
            .body
            .as_slice()
            .try_into()
            .map_err(|_| "its authentication stanza has a MAC of the wrong size".to_string())?;
        Ok(Tag {
            vault_id: s.args[1].clone(),
            generation,
            mac,
        })
    }
}

/// The recipient that adds the stanza: it wraps nothing (the X25519 recipients beside
/// it carry the file key).
pub(crate) struct TagRecipient(pub Tag);

impl age::Recipient for TagRecipient {
    fn wrap_file_key(
        &self,
        _file_key: &FileKey,
    ) -> Result<(Vec<Stanza>, HashSet<String>), age::EncryptError> {
        Ok((vec![self.0.stanza()], HashSet::new()))
    }
}

/// What the header held of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Found {
    /// No stanza: a vault from before authentication, or one anyone could have made.
    None,
    Tag(Tag),
    /// Something claiming to be our stanza that is not one (or more than one).
    Bad(String),
}

/// The vault identity, wrapped so that it sees the header's stanzas on the way (age
/// hands every identity the whole list).
pub(crate) struct Capture<'a> {
    pub inner: &'a x25519::Identity,
    pub found: RefCell<Found>,
}

impl<'a> Capture<'a> {
    pub(crate) fn new(inner: &'a x25519::Identity) -> Self {
        Capture {
            inner,
            found: RefCell::new(Found::None),
        }
    }
}

impl age::Identity for Capture<'_> {
    fn unwrap_stanza(&self, stanza: &Stanza) -> Option<Result<FileKey, age::DecryptError>> {
        self.inner.unwrap_stanza(stanza)
    }

    fn unwrap_stanzas(&self, stanzas: &[Stanza]) -> Option<Result<FileKey, age::DecryptError>> {
        let ours: Vec<&Stanza> = stanzas.iter().filter(|s| s.tag == TAG).collect();
        *self.found.borrow_mut() = match ours.as_slice() {
            [] => Found::None,
            [one] => match Tag::parse(one) {
                Ok(t) => Found::Tag(t),
                Err(e) => Found::Bad(e),
            },
            many => Found::Bad(format!(
                "it carries {} authentication stanzas where a vault has one",
                many.len()
            )),
        };
        self.inner.unwrap_stanzas(stanzas)
    }
}

/// Reads the generation a file's header claims, without decrypting it (for a quick
/// look at `.prev`). A claim only: nothing is proven until the MAC is checked.
pub(crate) fn claimed_generation(head: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(head).ok().or_else(|| {
        // The header is text; the payload after it is not. Cut at the first
        // non-UTF-8 byte.
        let end = head.iter().position(|b| !b.is_ascii())?;
        std::str::from_utf8(&head[..end]).ok()
    })?;
    let mut lines = text.lines();
    if lines.next()? != "age-encryption.org/v1" {
        return None;
    }
    for line in lines {
        if line.starts_with("---") {
            break;
        }
        if let Some(rest) = line.strip_prefix("-> ") {
            let mut parts = rest.split(' ');
            if parts.next() == Some(TAG) && parts.next() == Some(VERSION) {
                let _vault_id = parts.next()?;
                return parts.next()?.parse().ok();
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_depends_on_key_id_generation_and_every_byte_at_any_size() {
        let a = VaultKeys::derive(&x25519::Identity::generate());
        let b = VaultKeys::derive(&x25519::Identity::generate());
        // Below, at and above the size hashed on two threads, odd and even.
        for len in [
            0usize,
            1,
            7,
            4096,
            PARALLEL_FROM - 1,
            PARALLEL_FROM,
            PARALLEL_FROM + 1,
            3 << 20,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 + 7) as u8).collect();
            let base = a.tag("id", 7, &data);
            assert_eq!(base, a.tag("id", 7, &data), "{len}: deterministic");
            assert_ne!(base, b.tag("id", 7, &data), "{len}: another identity");
            assert_ne!(base, a.tag("id2", 7, &data), "{len}: another vault");
            assert_ne!(base, a.tag("id", 8, &data), "{len}: another generation");
            if len > 0 {
                for at in [0, len / 2, len - 1] {
                    let mut changed = data.clone();
                    changed[at] ^= 1;
                    assert_ne!(base, a.tag("id", 7, &changed), "{len}: byte {at}");
                }
            }
            // One byte more (which also moves the halves' boundary) changes it too.
            let mut longer = data.clone();
            longer.push(0);
            assert_ne!(base, a.tag("id", 7, &longer), "{len}: one byte more");
            let t = Tag {
                vault_id: "id".into(),
                generation: 7,
                mac: base,
            };
            assert!(a.verify(&t, &data));
            assert!(!b.verify(&t, &data));
        }
    }

    #[test]
    fn the_stanza_survives_a_real_age_file_and_its_generation_can_be_peeked() {
        let id = x25519::Identity::generate();
        let tag = Tag {
            vault_id: "5f0c5f0c-0000-4000-8000-000000000001".into(),
            generation: 42,
            mac: [7; 32],
        };
        let recipients: Vec<Box<dyn age::Recipient>> = vec![
            Box::new(id.to_public()),
            Box::new(TagRecipient(tag.clone())),
        ];
        let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref())).unwrap();
        let mut out = vec![];
        let mut w = enc.wrap_output(&mut out).unwrap();
        std::io::Write::write_all(&mut w, b"plain").unwrap();
        w.finish().unwrap();
        assert_eq!(claimed_generation(&out), Some(42));

        let capture = Capture::new(&id);
        let dec = age::Decryptor::new(&out[..]).unwrap();
        let mut r = dec
            .decrypt(std::iter::once(&capture as &dyn age::Identity))
            .unwrap();
        let mut plain = vec![];
        std::io::Read::read_to_end(&mut r, &mut plain).unwrap();
        assert_eq!(plain, b"plain");
        assert_eq!(*capture.found.borrow(), Found::Tag(tag));
    }
}
