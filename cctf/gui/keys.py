"""Menu words for actions whose buttons carry their key: the menu shows the key once.

A button reads "Repeat (R)" because a button has no shortcut column; the same words in a menu
would read "Repeat (R)   R". ``menu_text`` drops the key hint the shortcut column repeats.
"""

from __future__ import annotations

import re


def menu_text(text: str, key: str) -> str:
    """``text`` without a "(key)" suffix or a leading "&key " mnemonic for ``key``."""
    k = re.escape(key)
    text = re.sub(rf"\s*\({k}\)\s*$", "", text)
    text = re.sub(rf"^&?{k}\s+", "", text)
    return text.strip()
