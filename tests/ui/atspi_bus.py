"""The AT-SPI bus for a UI test: started before pyatspi is imported (it
connects on import), stopped with its whole process group, since the
launcher's dbus-daemon outlives a kill of the launcher alone."""
import os, signal, subprocess, time

LAUNCHER = "/usr/libexec/at-spi-bus-launcher"


def start(env):
    """Starts the bus launcher (None where at-spi2-core is missing)."""
    if not os.path.exists(LAUNCHER):
        return None
    bus = subprocess.Popen([LAUNCHER, "--launch-immediately"], env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.0)
    return bus


def stop(bus):
    """Ends the launcher and its dbus-daemon."""
    if bus is not None:
        try:
            os.killpg(bus.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
