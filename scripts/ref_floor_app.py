"""The floor for scripts/bench_pages.py: the least a Streamlit page can be (a title and one widget), served the
same way as the app, so a page's figure minus this one is what the page itself costs."""
import streamlit as st

st.title("Floor")
choice = st.radio("Pick one", ["a", "b"], horizontal=True, key="floor_choice")
st.write(f"You picked {choice}.")
