"""Stand-in for kafka-python's test/service.py, which its 3.0.12 sdist does not ship although
test/integration/fixtures.py imports it. Written for odradek's compat runner (not kafka-python
code): only the external-broker path (KAFKA_URI) is supported, so nothing is ever spawned."""


class ExternalService:
    def __init__(self, host, port):
        self.host = host
        self.port = port

    def start(self):
        pass

    def stop(self):
        pass

    def dump_logs(self):
        pass

    def wait_for(self, pattern, timeout=30):
        return True


class SpawnedService:
    def __init__(self, *args, **kwargs):
        raise RuntimeError('odradek compat shim: spawning a broker is not supported here; set KAFKA_URI')
