"""Reciprocity (resiprositas): exchanges of favours along ties, direct and indirect.

A contact along a tie is a chance for each side to help the other (a favour, information,
a small loan of goods). Whether *i* helps *j* mixes three motives:

* generalised trust of *i* in peers;
* **indirect reciprocity** — *j*'s reputation (image score) as a helper, seen through
  the network (Nowak & Sigmund 1998, "Evolution of indirect reciprocity by image
  scoring", Nature 393:573);
* **direct reciprocity** — what *j* did to *i* at their last contact (tit-for-tat,
  Axelrod 1984, *The Evolution of Cooperation*).

All functions work on edge arrays for all active ties at once.
"""

from __future__ import annotations

import numpy as np


def help_probability(
    trust_giver: np.ndarray,
    image_receiver: np.ndarray,
    last_from_receiver: np.ndarray,
    helping_norm: float | np.ndarray,
    trust_weight: float | np.ndarray,
    image_weight: float | np.ndarray,
    direct_weight: float | np.ndarray,
    disposition_giver: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Probability that the giver helps:

    p = σ(logit h + u_i + w_T·(T_i − ½) + w_R·(R_j − ½) + w_D·(D_ji − ½))

    u_i: the giver's own persistent disposition to help (a logit offset, mean 0;
    Fischbacher, Gächter & Fehr 2001: people differ stably in how much they cooperate).
    h: the village norm of helping an average partner (gotong royong); T_i: giver's peer
    trust; R_j: receiver's image score (indirect reciprocity, Nowak & Sigmund 1998);
    D_ji ∈ [0, 1]: the receiver's last action toward the giver, 1 helped, 0 refused,
    ½ never met (direct reciprocity, Axelrod 1984). All weights zero gives p = h.
    """
    h = np.minimum(np.maximum(helping_norm, 1e-9), 1.0 - 1e-9)
    x = (
        np.log(h / (1.0 - h))
        + disposition_giver
        + trust_weight * (trust_giver - 0.5)
        + image_weight * (image_receiver - 0.5)
        + direct_weight * (last_from_receiver - 0.5)
    )
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def exchange_experiences(
    n: int, a: np.ndarray, b: np.ndarray, a_helped: np.ndarray, b_helped: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per-agent shares of help received, refused and given over this month's contacts.

    For each active tie (a, b) both sides ask once. Returns ``(positive, negative, gave,
    contacts)`` where positive = received / contacts, negative = refused / contacts,
    gave = help given / contacts (0 where an agent had no contact) and contacts the count.
    """
    both = np.concatenate((a, b))
    contacts = np.bincount(both, minlength=n).astype(float)
    received = np.bincount(np.concatenate((b[a_helped], a[b_helped])), minlength=n)
    gave = np.bincount(np.concatenate((a[a_helped], b[b_helped])), minlength=n)
    safe = np.maximum(contacts, 1.0)
    positive = received / safe
    negative = np.where(contacts > 0, 1.0 - positive, 0.0)
    return positive, negative, gave / safe, contacts


def update_image(image: np.ndarray, gave_share: np.ndarray, contacts: np.ndarray, rate: float) -> np.ndarray:
    """Image score follows observed helping: R' = R + ρ·(h − R) where the agent had contacts.

    h is the share of contacts in which the agent helped this month (Nowak & Sigmund 1998,
    with a graded instead of an integer image score).
    """
    return np.where(contacts > 0, image + rate * (gave_share - image), image)


def reciprocity_rate(a_helped: np.ndarray, b_helped: np.ndarray) -> float:
    """Share of this month's contacts in which both sides helped (mutual exchange)."""
    if a_helped.size == 0:
        return float("nan")
    return float(np.count_nonzero(a_helped & b_helped)) / a_helped.size


def reciprocity_rates(a_helped: np.ndarray, b_helped: np.ndarray, world: np.ndarray, worlds: int) -> np.ndarray:
    """:func:`reciprocity_rate` of each world of a batch (length ``worlds``; NaN for a world without
    contacts): ``world`` is the world of each contact. One world gives the same value as
    :func:`reciprocity_rate` (exact counts, one division)."""
    both = np.bincount(world[a_helped & b_helped], minlength=worlds)
    contacts = np.bincount(world, minlength=worlds)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(contacts > 0, both / np.maximum(contacts, 1), np.nan)
