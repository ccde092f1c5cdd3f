# A Streamlit app behind hubauth-proxy: the page shows who is logged in
# (the X-Forwarded-User header the proxy sets) and counts clicks, which go
# over Streamlit's websocket.
import streamlit as st

user = st.context.headers.get("X-Forwarded-User", "nobody")
st.title(f"{user}'s Streamlit app")
if "clicks" not in st.session_state:
    st.session_state.clicks = 0
if st.button("Click me"):
    st.session_state.clicks += 1
n = st.session_state.clicks
st.write(f"{n} click{'' if n == 1 else 's'}")
