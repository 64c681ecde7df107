from django.contrib.auth import hashers


class Argon2PasswordHasher(hashers.Argon2PasswordHasher):
    """Django's argon2id with one lane instead of eight.

    Memory (100 MiB) and passes (2) stay Django's, so a guess costs an
    attacker the same. Eight lanes fill that memory on eight threads: one
    login on an idle server waits less, but the threads of concurrent logins
    only fight over the same cores, and the lanes' synchronisation costs CPU
    (figures: README, Performance). With one lane a login is one core's work
    and a server's login throughput is its cores divided by one hash. Hashes
    made with eight lanes still verify and are rehashed with these settings
    at their owner's next login.
    """

    parallelism = 1
