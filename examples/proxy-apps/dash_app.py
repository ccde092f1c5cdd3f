# A Dash app behind hubauth-proxy. Dash reads its base path from
# DASH_URL_BASE_PATHNAME and its port from PORT; each click is a callback,
# a POST from the page's own script.
import flask
from dash import Dash, Input, Output, html

app = Dash(__name__, title="Dash behind the hub")
app.layout = html.Div([
    html.H1(id="title"),
    html.Button("Click me", id="button", n_clicks=0),
    html.Div(id="clicks"),
])


@app.callback(Output("title", "children"), Input("button", "id"))
def title(_):
    return f"{flask.request.headers.get('X-Forwarded-User', 'nobody')}'s Dash app"


@app.callback(Output("clicks", "children"), Input("button", "n_clicks"))
def clicks(n):
    return f"{n} click{'' if n == 1 else 's'}"


if __name__ == "__main__":
    app.run()
