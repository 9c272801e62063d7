        -- _source_line_columns: a source line's columns as the staging step types them, in this
        -- order; shared by the select lists of sql/raw_orders.sql and sql/quarantined_lines.sql
        invoice,
        stock_code,
        description,
        quantity,
        unit_price,
        amount,
        invoice_date,
        customer_id,
        country,
