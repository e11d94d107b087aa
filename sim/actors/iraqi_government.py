"""The Iraqi government: sovereignty backlash after US strikes, and pressure on the militias."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.base import Actor, decay_factor
from sim.ladder import Action, Rung
from sim.params import pick
from sim.scenario import ElectionEvent

if TYPE_CHECKING:
    from sim.model import EscalationModel


class IraqiGovernment(Actor):
    """The Iraqi government: sovereignty backlash after US strikes; pressure on militias near elections.

    State per world: sovereignty pressure and whether parliament has demanded a US withdrawal; shared by
    all worlds: the days within an election window (from the scenario's ``election`` events).
    """

    def __init__(self, model: "EscalationModel"):
        super().__init__(model, "iraqi_government")
        self.params = model.params.iraqi_government
        n = model.n_worlds
        self.sovereignty = np.zeros(n)
        self.sovereignty_decay = decay_factor(self.params.sovereignty_half_life)
        self.election_days: set[int] = set()
        for event in model.scenario.timeline:
            if isinstance(event, ElectionEvent):
                day = model.scenario.event_day(event)
                self.election_days.update(range(day - event.window_days, day + event.window_days + 1))
        self.militia_pressure_today = self.params.militia_pressure
        self.demanded = np.zeros(n, dtype=bool)

    def step(self) -> None:
        """Press militias to hold back, harder within an election window (truces around elections).

        Mechanism: militia leaders integrated in government hold back when their seats are at stake
        (former commanders in government, the 2018 election [OldEnemiesAllies2018]; the Oct 2021 election
        truce [PressReports]).
        """
        self.sovereignty *= self.sovereignty_decay
        election = self.model.day in self.election_days
        self.militia_pressure_today = self.params.militia_pressure + self.params.election_pressure * election

    def backlash(self, worlds: np.ndarray, amount: np.ndarray) -> None:
        """Sovereignty backlash after a US strike on Iraqi soil; past a threshold, demand US withdrawal.

        Mechanism: the Jan 5, 2020 parliament vote to expel foreign troops after the Baghdad airport strike
        [PressReports].
        """
        m = self.model
        self.sovereignty[worlds] += amount
        above = self.sovereignty[worlds] > pick(self.params.withdrawal_demand_threshold, worlds)
        demand = worlds[~self.demanded[worlds] & above]
        if demand.size:
            self.demanded[demand] = True
            # Baghdad's demand and the US answer are the model's decisions, also when a scripted strike set them off
            scripting, m.scripting = m.scripting, False
            try:
                m.record(demand, self, Action.WITHDRAWAL_DEMAND, "united_states", Rung.RHETORIC, side="none")
                m.united_states.consider_withdrawal(demand)
            finally:
                m.scripting = scripting
