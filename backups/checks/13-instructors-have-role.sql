-- InstaInstru: every instructor profile and service belongs to a user with the instructor role.
SELECT 'instructor_profiles' AS source, p.id, p.user_id AS user_id
FROM instructor_profiles p JOIN users u ON u.id = p.user_id
WHERE u.role <> 'instructor'
UNION ALL
SELECT 'instructor_services', s.id, s.instructor_id
FROM instructor_services s JOIN users u ON u.id = s.instructor_id
WHERE u.role <> 'instructor';
