"""ScrapeDeck's service layer. Pages and the CLI call these modules; they never import streamlit."""
