# A small Bokeh app: every user's server in this example. The text and
# the button work over Bokeh's websocket, so they show the websocket
# getting through hubauth-proxy.
import os

from bokeh.io import curdoc
from bokeh.layouts import column
from bokeh.models import Button, Div

user = os.environ.get("JUPYTERHUB_USER", "nobody")
clicks = Div(text="no clicks yet")
button = Button(label="click me")


def clicked():
    n = int(clicks.tags[0]) + 1 if clicks.tags else 1
    clicks.tags = [n]
    clicks.text = f"{n} click{'s' if n > 1 else ''}"


button.on_click(clicked)
curdoc().add_root(column(Div(text=f"<h1>{user}'s dashboard</h1>", name="title"), button, clicks))
curdoc().title = f"{user}'s dashboard"
