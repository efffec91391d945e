"""A learner in one worker's post: their own choices for the week, in place of the model's.

Set ``model.learner`` to a ``LearnerChoices`` and that post's week follows the learner: how the
week is split, whom to see first, how many outcomes to record that did not happen. Everything
that follows from those choices (the time left for visits, the chance a false record is found,
what citizens gain, the sanctions, the team's candour) runs through the model's own mechanisms.
With ``model.learner`` left as None, nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.arrays import FloatArray, IntArray

if TYPE_CHECKING:
    from sim.model import AccountabilityModel
    from sim.workers import Workers

# Whom to see first: each name's meaning in words, for the pages that offer the choice.
SEE_FIRST = {
    "neediest": "the citizens most in need first",
    "nearest": "the citizens closest to the indicator's threshold first",
}
SHARE_TOLERANCE = 0.005  # shares read from percentages may miss 1 by rounding


class LearnerError(ValueError):
    """A learner's choice that cannot be played; the message is one line saying what is allowed."""


@dataclass(frozen=True, slots=True)
class LearnerChoices:
    """One post's week, as a learner chose it.

    Attributes:
        post: The worker post the learner holds.
        help_share: Share of the week's own time (after the time accountability takes) spent
            helping citizens with what they need.
        indicator_share: Share spent on what the indicator counts and nothing else.
        reflection_share: Share spent reflecting and learning.
        see_first: A key of ``SEE_FIRST``: whom the learner sees first.
        false_records: Outcomes the learner records this week that did not happen.

    Raises:
        LearnerError: A share outside 0 to 1, shares that do not sum to 1, an unknown
            ``see_first`` or a negative number of false records.
    """

    post: int
    help_share: float
    indicator_share: float
    reflection_share: float
    see_first: str
    false_records: int

    def __post_init__(self) -> None:
        shares = (self.help_share, self.indicator_share, self.reflection_share)
        if any(not 0 <= share <= 1 for share in shares):
            raise LearnerError(f"each share of the week must be between 0 and 1, got {shares}")
        if abs(sum(shares) - 1) > SHARE_TOLERANCE:
            raise LearnerError(
                f"the shares of the week must add up to 100 %, they add up to {sum(shares):.0%}"
            )
        if self.see_first not in SEE_FIRST:
            raise LearnerError(
                f"whom to see first must be one of {', '.join(SEE_FIRST)}, got {self.see_first!r}"
            )
        if self.false_records < 0:
            raise LearnerError(
                f"false records must be 0 or more, got {self.false_records}: none is allowed"
            )

    def check(self, model: AccountabilityModel) -> None:
        """Check the choices against the model: a post it has, no more records than citizens.

        Raises:
            LearnerError: The post does not exist, or more false records than its caseload.
        """
        posts = len(model.workers.caseload)
        if not 0 <= self.post < posts:
            raise LearnerError(f"post must be from 0 to {posts - 1}, got {self.post}")
        caseload = int(model.workers.caseload[self.post])
        if self.false_records > caseload:
            raise LearnerError(
                f"at most {caseload} false records (the caseload), got {self.false_records}"
            )

    def plan(self, workers: Workers, budget: FloatArray) -> None:
        """The learner's split of their own time, and whether they chase the indicator's cases."""
        # The whole of their own time: a learner who plans a week means to work it.
        time = budget[self.post]
        workers.help_effort[self.post] = time * self.help_share
        workers.indicator_effort[self.post] = time * self.indicator_share
        workers.reflection[self.post] = time * self.reflection_share
        workers.creams[self.post] = self.see_first == "nearest"

    def priority(
        self, priority: FloatArray, caseworker: IntArray, need: FloatArray, near: FloatArray
    ) -> None:
        """Whom the learner sees first among their own citizens (in place, before noise is cut).

        The model's own priority for everyone else; the learner's citizens in the learner's order.
        """
        mine = caseworker == self.post
        priority[mine] = (need if self.see_first == "neediest" else near)[mine]

    def records(self, invented: IntArray, usable: IntArray) -> IntArray:
        """False records: the learner's own number, at most one per citizen without an outcome."""
        invented = invented.copy()
        invented[self.post] = min(self.false_records, int(usable[self.post]))
        return invented
