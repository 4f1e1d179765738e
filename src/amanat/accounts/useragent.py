"""Technical data from a request: network address, browser, OS and device class.

The raw user-agent string is parsed with ua-parser and dropped at once; only the
browser family and major version, the OS family and a device class are kept.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from functools import lru_cache

from ua_parser import parse

from amanat.web.client import ClientInfo

DEVICE_CLASSES = ("desktop", "mobile", "tablet", "bot", "unknown")
_MAX_UA = 512  # longer strings are truncated before parsing; nothing legitimate needs more


@dataclass(frozen=True)
class TechnicalData:
    ip: str = field(repr=False)
    browser: str
    os: str
    device: str

    @property
    def device_pair(self) -> tuple[str, str, str]:
        """What "the same browser and device" means: browser family, OS and device class."""
        return (self.browser.rsplit(" ", 1)[0], self.os, self.device)


def technical_data(client: ClientInfo) -> TechnicalData:
    browser, os_family, device = _parse(client.user_agent[:_MAX_UA])
    return TechnicalData(ip=normalise_ip(client.ip), browser=browser, os=os_family, device=device)


def normalise_ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return "unknown"


def approximate_network(ip: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) a session came from: enough to recognise, no more."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "unknown"
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# Typical agents, one per family of rules, so that warming compiles what sign-ins use.
_WARM_UP_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
)


def warm_up() -> None:
    """Build and exercise ua-parser's rules (several seconds on a busy machine) before
    the first sign-in needs them. Called once per process by the app's start-up
    (lifespan), never at import."""
    for agent in _WARM_UP_AGENTS:
        parse(agent)


@lru_cache(maxsize=1024)
def _parse(user_agent: str) -> tuple[str, str, str]:
    if not user_agent:
        return ("Unknown browser", "Unknown OS", "unknown")
    result = parse(user_agent)
    agent = result.user_agent
    browser = "Unknown browser"
    if agent is not None and agent.family != "Other":
        browser = agent.family + (f" {agent.major}" if agent.major else "")
    os_family = (
        result.os.family if result.os is not None and result.os.family != "Other" else "Unknown OS"
    )
    return (
        browser,
        os_family,
        _device_class(user_agent, result.device.family if result.device else None, os_family),
    )


def _device_class(user_agent: str, device_family: str | None, os_family: str) -> str:
    lowered = user_agent.lower()
    if device_family == "Spider" or "bot" in lowered or "spider" in lowered:
        return "bot"
    if (device_family and "ipad" in device_family.lower()) or "tablet" in lowered:
        return "tablet"
    if os_family == "Android" and "mobile" not in lowered:
        return "tablet"
    if "mobi" in lowered or os_family in {"iOS", "Android"}:
        return "mobile"
    if os_family in {"Windows", "Mac OS X", "Linux", "Ubuntu", "Chrome OS", "Fedora", "FreeBSD"}:
        return "desktop"
    return "unknown"
