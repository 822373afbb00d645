//! CIDR blocks, checked before AWS sees them.
//!
//! Addresses are parsed with the standard library (which rejects leading zeros,
//! zone ids and malformed `::`); the prefix length and the host bits are
//! checked here. A block with host bits set (`10.0.0.1/16`) is refused because
//! the Terraform provider's `cidr_ipv4`/`cidr_ipv6` validators refuse it, and
//! because it usually means a mistyped address.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a CIDR block is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CidrError {
    /// Not `address/prefix` with a valid address of the expected family.
    Syntax,
    /// The prefix length is larger than the address (32 or 128 bits).
    Prefix,
    /// Bits below the prefix are set; carries the network block meant.
    HostBits(String),
}

/// Splits `address/prefix`; the prefix is decimal without leading zeros.
fn split(s: &str) -> Option<(&str, u32)> {
    let (addr, prefix) = s.split_once('/')?;
    let digits_ok = !prefix.is_empty()
        && prefix.len() <= 3
        && prefix.bytes().all(|b| b.is_ascii_digit())
        && (prefix == "0" || !prefix.starts_with('0'));
    digits_ok.then(|| prefix.parse().ok().map(|p| (addr, p)))?
}

/// Checks an IPv4 block such as `10.0.0.0/16`.
pub(crate) fn check_ipv4(s: &str) -> Result<(), CidrError> {
    let (addr, prefix) = split(s).ok_or(CidrError::Syntax)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| CidrError::Syntax)?;
    if prefix > 32 {
        return Err(CidrError::Prefix);
    }
    let bits = u32::from(addr);
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    if bits & !mask != 0 {
        return Err(CidrError::HostBits(format!("{}/{prefix}", Ipv4Addr::from(bits & mask))));
    }
    Ok(())
}

/// Checks an IPv6 block such as `2001:db8::/32`.
pub(crate) fn check_ipv6(s: &str) -> Result<(), CidrError> {
    let (addr, prefix) = split(s).ok_or(CidrError::Syntax)?;
    let addr: Ipv6Addr = addr.parse().map_err(|_| CidrError::Syntax)?;
    if prefix > 128 {
        return Err(CidrError::Prefix);
    }
    let bits = u128::from(addr);
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    if bits & !mask != 0 {
        return Err(CidrError::HostBits(format!("{}/{prefix}", Ipv6Addr::from(bits & mask))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_blocks_parse_with_prefixes_up_to_32() {
        for ok in [
            "0.0.0.0/0",
            "10.0.0.0/8",
            "192.168.1.0/24",
            "10.1.2.3/32",
            "255.255.255.255/32",
        ] {
            assert_eq!(check_ipv4(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0/8",
            "10.0.0.0.0/8",
            "256.0.0.0/8",
            "01.0.0.0/8",
            "10.0.0.0/08",
            "10.0.0.0/-1",
            "10.0.0.0/ 8",
            " 10.0.0.0/8",
            "::/0",
            "a.b.c.d/8",
        ] {
            assert_eq!(check_ipv4(bad), Err(CidrError::Syntax), "{bad:?}");
        }
        assert_eq!(check_ipv4("10.0.0.0/33"), Err(CidrError::Prefix));
    }

    #[test]
    fn ipv4_blocks_with_host_bits_name_the_network_meant() {
        assert_eq!(
            check_ipv4("10.0.0.1/16"),
            Err(CidrError::HostBits("10.0.0.0/16".into()))
        );
        assert_eq!(check_ipv4("1.2.3.4/0"), Err(CidrError::HostBits("0.0.0.0/0".into())));
    }

    #[test]
    fn ipv6_blocks_parse_with_prefixes_up_to_128() {
        for ok in [
            "::/0",
            "2001:db8::/32",
            "2001:db8:0:1::/64",
            "::1/128",
            "::ffff:10.0.0.0/104",
        ] {
            assert_eq!(check_ipv6(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "::",
            "2001:db8::/",
            "2001:db8:::/32",
            "1::2::3/64",
            "fe80::%eth0/64",
            "10.0.0.0/8",
            "12345::/16",
        ] {
            assert_eq!(check_ipv6(bad), Err(CidrError::Syntax), "{bad:?}");
        }
        assert_eq!(check_ipv6("::/129"), Err(CidrError::Prefix));
        assert_eq!(
            check_ipv6("2001:db8::1/64"),
            Err(CidrError::HostBits("2001:db8::/64".into()))
        );
    }
}
