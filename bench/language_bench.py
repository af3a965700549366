"""Language detection cost: CPU time per ~500-character message, best of five batches.

Measured here, not asserted in a test: a timed assertion fails on a loaded machine
for reasons that have nothing to do with the code.
"""

from __future__ import annotations

import time

from clinic_inbox.core.language import detect_language

FR = (
    "Bonjour docteur, je vous écris parce que depuis quelques jours j'ai des maux de tête "
    "qui ne passent pas, même avec du Tylenol. Je dors mal et j'ai un peu de fièvre le soir. "
    "Est-ce que je devrais prendre un rendez-vous ou aller au sans rendez-vous? Aussi, "
    "j'aurais besoin du renouvellement de ma prescription de ramipril avant la fin du mois. "
    "Merci beaucoup et bonne journée, Marie Tremblay, 12 rue Saint-Denis, Montréal"
)
EN = (
    "Hello doctor, I am writing because for a few days I have had headaches that do not go "
    "away, even with Tylenol. I sleep badly and have a bit of a fever in the evening. Should "
    "I book an appointment or go to the walk-in clinic? Also, I would need my ramipril "
    "prescription renewed before the end of the month. Thank you very much and have a good "
    "day. Marie Tremblay, 12 rue Saint-Denis, Montreal. My health card number is on file."
)


def detect_cost(rounds: int = 500) -> dict:
    detect_language(FR)  # the model loads once per process
    best = float("inf")
    for _ in range(5):
        start = time.process_time()
        for _ in range(rounds):
            detect_language(FR)
            detect_language(EN)
        best = min(best, (time.process_time() - start) / (2 * rounds))
    return {"cpu_ms": best * 1000}


if __name__ == "__main__":
    print(f"detect_language: {detect_cost()['cpu_ms']:.3f} ms of CPU per ~500-character message")
